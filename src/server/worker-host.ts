/**
 * Owns one audit worker thread: starts it on demand, reuses it across jobs (TensorFlow
 * loads once), stops it when idle, and enforces cancellation: a cancel asks the worker
 * to stop, and a worker still busy a second later (stuck in one long TensorFlow call)
 * is terminated. Audits it finished before that were already delivered.
 */
import { Worker } from 'node:worker_threads';
import type { AuditProgress } from '../engine/audit/progress';
import type { AuditReport } from '../engine/report/schema';
import type { Log } from './log';
import type { FromWorker, RunAuditJob } from './worker-messages';

/** How long a cancelled worker may take to stop by itself. */
export const CANCEL_GRACE_MS = 1000;
/** An idle worker holds TensorFlow's memory; give it back after this long. */
const IDLE_MS = 5 * 60_000;

export type AuditJob = Omit<RunAuditJob, 'type' | 'jobId'>;

export interface JobHooks {
  onProgress?(index: number, count: number, progress: AuditProgress): void;
  onAuditDone?(audit: string, report: AuditReport): void;
}

export type JobEnd =
  | { status: 'finished' }
  | { status: 'cancelled' }
  | { status: 'failed'; message: string; input: boolean };

let nextJobId = 1;

export class AuditWorkerHost {
  private worker: Worker | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly script: string, private readonly log: Log) {}

  run(job: AuditJob, hooks: JobHooks, signal: AbortSignal): Promise<JobEnd> {
    if (this.busy) throw new Error('AuditWorkerHost runs one job at a time');
    if (signal.aborted) return Promise.resolve({ status: 'cancelled' });
    this.clearIdleTimer();
    const worker = this.ensureWorker();
    this.busy = true;
    const jobId = nextJobId++;
    return new Promise<JobEnd>((resolve) => {
      let killTimer: NodeJS.Timeout | undefined;
      const settle = (end: JobEnd) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        this.busy = false;
        this.startIdleTimer();
        resolve(end);
      };
      const onMessage = (message: FromWorker) => {
        if (message.jobId !== jobId) return;
        switch (message.type) {
          case 'progress':
            hooks.onProgress?.(message.index, message.count, message.progress);
            break;
          case 'auditDone':
            hooks.onAuditDone?.(message.audit, message.report);
            break;
          case 'finished':
            settle({ status: 'finished' });
            break;
          case 'cancelled':
            settle({ status: 'cancelled' });
            break;
          case 'failed':
            if (message.stack) this.log.error(`Audit failed in the worker:\n${message.stack}`);
            settle({ status: 'failed', message: message.message, input: message.input });
            break;
        }
      };
      const onError = (error: Error) => {
        this.discard(worker);
        this.log.error(`The audit worker crashed:\n${error.stack ?? error.message}`);
        settle(signal.aborted ? { status: 'cancelled' } : { status: 'failed', message: `the audit worker crashed: ${error.message}`, input: false });
      };
      const onExit = (code: number) => {
        this.discard(worker);
        settle(signal.aborted ? { status: 'cancelled' } : { status: 'failed', message: `the audit worker stopped unexpectedly (exit code ${code})`, input: false });
      };
      const onAbort = () => {
        worker.postMessage({ type: 'cancel', jobId });
        killTimer = setTimeout(() => {
          this.log.warn(`The audit worker did not stop within ${CANCEL_GRACE_MS} ms of the cancel; terminating it.`);
          this.discard(worker);
          void worker.terminate();
          settle({ status: 'cancelled' });
        }, CANCEL_GRACE_MS);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
      const message: RunAuditJob = { type: 'run', jobId, ...job };
      worker.postMessage(message);
    });
  }

  async dispose(): Promise<void> {
    this.clearIdleTimer();
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // stdout/stderr piped, so TensorFlow's console chatter lands in the log, not on the client's streams.
    const worker = new Worker(this.script, { stdout: true, stderr: true });
    forwardLines(worker.stdout, (line) => this.log.info(`[worker] ${line}`));
    forwardLines(worker.stderr, (line) => this.log.warn(`[worker] ${line}`));
    this.worker = worker;
    return worker;
  }

  /** Forget a worker that died or is being terminated; the next job starts a fresh one. */
  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
  }

  private startIdleTimer(): void {
    this.clearIdleTimer();
    if (!this.worker) return;
    this.idleTimer = setTimeout(() => void this.dispose(), IDLE_MS);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

function forwardLines(stream: NodeJS.ReadableStream, write: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) write(line);
  });
  stream.on('end', () => {
    if (pending.trim()) write(pending);
  });
}
