/**
 * Owns one audit worker thread: starts it on demand, reuses it across jobs (TensorFlow
 * loads once) and stops it when idle. A cancel ends the job at once: the caller gets
 * `cancelled` without waiting for the worker, which is retired in the background. A
 * worker that stops by itself within a grace period is kept for the next job (if no new
 * worker took its place); one still busy then (stuck in a long TensorFlow call, or still
 * loading) is terminated. A job started meanwhile runs on a new worker, never on the
 * retiring one. Audits finished before the cancel were already delivered.
 */
import { Worker } from 'node:worker_threads';
import type { AuditProgress } from '../engine/audit/progress';
import type { AuditReport } from '../engine/report/schema';
import type { Log } from './log';
import type { FromWorker, RunAuditJob } from './worker-messages';

/** How long a cancelled worker may take to stop by itself before it is terminated. */
export const CANCEL_GRACE_MS = 1000;
/** An idle worker holds TensorFlow's memory; give it back after this long. */
const IDLE_MS = 5 * 60_000;

export type AuditJob = Omit<RunAuditJob, 'type' | 'jobId'>;

export interface JobHooks {
  onProgress?(index: number, count: number, progress: AuditProgress): void;
  onAuditDone?(audit: string, report: AuditReport): void;
  /** The audit's threshold-attack result while its shadow-model attacks run; onAuditDone replaces it. */
  onAuditPreliminary?(audit: string, report: AuditReport): void;
}

export type JobEnd =
  | { status: 'finished' }
  | { status: 'cancelled' }
  | { status: 'failed'; message: string; input: boolean };

let nextJobId = 1;

export class AuditWorkerHost {
  private worker: Worker | undefined;
  /** Cancelled workers not yet stopped; terminated on dispose. */
  private readonly retiring = new Set<Worker>();
  private idleTimer: NodeJS.Timeout | undefined;
  private busy = false;
  private disposed = false;

  constructor(private readonly script: string, private readonly log: Log) {}

  run(job: AuditJob, hooks: JobHooks, signal: AbortSignal): Promise<JobEnd> {
    if (this.busy) throw new Error('AuditWorkerHost runs one job at a time');
    if (signal.aborted) return Promise.resolve({ status: 'cancelled' });
    this.clearIdleTimer();
    const worker = this.ensureWorker();
    this.busy = true;
    const jobId = nextJobId++;
    return new Promise<JobEnd>((resolve) => {
      const settle = (end: JobEnd) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
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
          case 'auditPreliminary':
            hooks.onAuditPreliminary?.(message.audit, message.report);
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
        settle({ status: 'failed', message: `the audit worker crashed: ${error.message}`, input: false });
      };
      const onExit = (code: number) => {
        this.discard(worker);
        settle({ status: 'failed', message: `the audit worker stopped unexpectedly (exit code ${code})`, input: false });
      };
      const onAbort = () => {
        // Detach first, so the next job (which may start as soon as we answer) gets a new worker.
        this.discard(worker);
        settle({ status: 'cancelled' });
        this.retire(worker, jobId);
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
    this.disposed = true;
    this.clearIdleTimer();
    const workers = [this.worker, ...this.retiring].filter((w): w is Worker => w !== undefined);
    this.worker = undefined;
    this.retiring.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // stdout/stderr piped, so TensorFlow's console chatter lands in the log, not on the client's streams.
    const worker = new Worker(this.script, { stdout: true, stderr: true });
    forwardLines(worker.stdout, (line) => this.log.info(`[worker] ${line}`));
    forwardLines(worker.stderr, (line) => this.log.warn(`[worker] ${line}`));
    // An idle worker that dies must not be handed the next job: a message to it would go nowhere.
    worker.once('exit', () => this.discard(worker));
    this.worker = worker;
    return worker;
  }

  /**
   * Asks a cancelled worker to stop and gives it CANCEL_GRACE_MS. Stopped in time, it
   * becomes the host's worker again if the host has none; otherwise it is terminated.
   */
  private retire(worker: Worker, jobId: number): void {
    this.retiring.add(worker);
    const done = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', done);
      this.retiring.delete(worker);
    };
    const onMessage = (message: FromWorker) => {
      if (message.jobId !== jobId || message.type === 'progress' || message.type === 'auditPreliminary' || message.type === 'auditDone') return;
      done();
      if (!this.disposed && !this.worker && !this.busy) {
        this.worker = worker;
        this.startIdleTimer();
      } else {
        void worker.terminate();
      }
    };
    const onError = (error: Error) => {
      this.log.warn(`The cancelled audit worker failed while stopping: ${error.message}`);
      done();
    };
    const timer = setTimeout(() => {
      this.log.warn(`The audit worker did not stop within ${CANCEL_GRACE_MS} ms of the cancel; terminating it.`);
      done();
      void worker.terminate();
    }, CANCEL_GRACE_MS);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.once('exit', done);
    worker.postMessage({ type: 'cancel', jobId });
  }

  /** Forget a worker that died or was cancelled; the next job starts a fresh one. */
  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
  }

  private startIdleTimer(): void {
    this.clearIdleTimer();
    if (!this.worker || this.disposed) return;
    const worker = this.worker;
    this.idleTimer = setTimeout(() => {
      this.discard(worker);
      void worker.terminate();
    }, IDLE_MS);
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
