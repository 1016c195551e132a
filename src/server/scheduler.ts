/**
 * Bounds how many audit jobs run at once: each running job has its own worker thread
 * (and its own copy of TensorFlow), so more jobs than cores only slows all of them. The
 * rest wait in order; a job cancelled while waiting never starts.
 */
import type { Log } from './log';
import { AuditWorkerHost, type AuditJob, type JobEnd, type JobHooks } from './worker-host';

/** What the scheduler needs of a worker host (a fake in tests). */
export interface JobRunner {
  run(job: AuditJob, hooks: JobHooks, signal: AbortSignal): Promise<JobEnd>;
  dispose(): Promise<void>;
}

interface Waiter {
  start: (host: JobRunner) => void;
}

export class AuditScheduler {
  private readonly idle: JobRunner[] = [];
  private readonly all: JobRunner[] = [];
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limit: number, private readonly createHost: () => JobRunner) {
    if (!(limit >= 1)) throw new Error(`the audit scheduler needs a limit of at least 1, got ${limit}`);
  }

  static forScript(limit: number, script: string, log: Log): AuditScheduler {
    return new AuditScheduler(limit, () => new AuditWorkerHost(script, log));
  }

  /** Jobs waiting for a free worker. */
  get queued(): number {
    return this.waiting.length;
  }

  async run(job: AuditJob, hooks: JobHooks & { onStart?(): void }, signal: AbortSignal): Promise<JobEnd> {
    const host = await this.acquire(signal);
    if (!host) return { status: 'cancelled' };
    try {
      hooks.onStart?.();
      return await host.run(job, hooks, signal);
    } finally {
      this.release(host);
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.all.map((h) => h.dispose()));
  }

  /** A free host, or undefined when the signal aborts first. */
  private acquire(signal: AbortSignal): Promise<JobRunner | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    const free = this.idle.pop() ?? (this.all.length < this.limit ? this.newHost() : undefined);
    if (free) return Promise.resolve(free);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        start: (host) => {
          signal.removeEventListener('abort', onAbort);
          resolve(host);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(host: JobRunner): void {
    const next = this.waiting.shift();
    if (next) next.start(host);
    else this.idle.push(host);
  }

  private newHost(): JobRunner {
    const host = this.createHost();
    this.all.push(host);
    return host;
  }
}
