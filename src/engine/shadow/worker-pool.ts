/**
 * Runs shadow-training jobs on a pool of worker threads: each worker gets the shared
 * setup once, then pulls jobs until none are left. Cancellation raises a shared stop
 * flag that workers poll before every training step; results that arrive meanwhile are
 * still delivered (finished shadows are kept), and a worker that has not stopped after
 * STOP_GRACE_MS is terminated.
 */
import type { Worker } from 'node:worker_threads';
import { CancelledError } from '../cancellation';
import { InputError, formatLocation } from '../errors';
import type { GroupJob, ShadowResult } from './train-group';
import type { FromWorker, PoolMessage, SerializedError, WorkerSetup } from './worker-messages';
import { startShadowWorker } from './worker-script';

const STOP_GRACE_MS = 1000;

export interface PoolRun {
  setup: Omit<WorkerSetup, 'stop'>;
  jobs: GroupJob[];
  workers: number;
  signal?: AbortSignal;
  /** Training samples just done; a throw fails the run. */
  onSamples: (count: number) => void;
  /** Called for every finished shadow, also while stopping; a throw fails the run. */
  onShadow: (result: ShadowResult) => void;
  /** recordsDigest of setup.store, when the caller computed it already (the queue ships the records under it). */
  recordsDigest?: string;
}

/** Resolves with the backend the workers ran on once every job is done. */
export function runWorkerPool(run: PoolRun): Promise<{ backend: string }> {
  let backend = '';
  return runPool<GroupJob, FromWorker>({
    jobs: run.jobs,
    workers: run.workers,
    signal: run.signal,
    onSamples: run.onSamples,
    setupMessage: (stop) => ({ type: 'setup', setup: { ...run.setup, stop } }),
    jobMessage: (job) => ({ type: 'train', job }),
    onResult: (message) => {
      if (message.type === 'shadow') run.onShadow(message);
      else if (message.type === 'job-done') backend = message.backend;
      return message.type === 'job-done';
    },
    lostWork: (code) => `a shadow worker exited (code ${code}) before finishing its shadows`,
  }).then(() => ({ backend }));
}

/**
 * What runPool needs to know about one kind of job: its messages to the worker, and M,
 * the kind's own result messages (besides the pool's own, PoolMessage).
 */
export interface PoolSpec<J, M extends { type: string }> {
  jobs: J[];
  workers: number;
  signal?: AbortSignal;
  /** Training samples just done; a throw fails the run. */
  onSamples: (count: number) => void;
  /** Sent to each new worker, which answers 'ready' before its first job; without it the first job goes out at once. */
  setupMessage?: (stop: Int32Array) => unknown;
  jobMessage: (job: J, stop: Int32Array) => unknown;
  /** The kind's own result messages; true when the worker has finished its job. A throw fails the run. */
  onResult: (message: M) => boolean;
  /** Why the run failed when a worker exited holding a job, or before any job was done. */
  lostWork: (exitCode: number) => string;
}

/**
 * The worker lifecycle every pool shares (shadows here, defended models in defend-pool.ts): start workers, hand each the next job as it
 * finishes one, raise the stop flag on the first failure or on abort (terminating
 * workers still running STOP_GRACE_MS later), and settle once every worker has exited.
 */
export function runPool<J, M extends { type: string }>(spec: PoolSpec<J, M>): Promise<void> {
  if (spec.signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise((resolve, reject) => {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const queue = [...spec.jobs];
    const live = new Set<Worker>();
    /** The job each worker is on; a worker that exits holding one has lost it. */
    const busy = new Map<Worker, J>();
    let failure: unknown;
    let graceTimer: NodeJS.Timeout | undefined;

    const settle = (): void => {
      clearTimeout(graceTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      if (failure !== undefined) reject(failure);
      else resolve();
    };

    const stopAll = (reason: unknown): void => {
      if (failure !== undefined) return;
      failure = reason;
      queue.length = 0;
      Atomics.store(stop, 0, 1);
      graceTimer = setTimeout(() => {
        for (const w of live) void w.terminate();
      }, STOP_GRACE_MS);
      if (live.size === 0) settle();
    };

    const onAbort = (): void => stopAll(new CancelledError());
    spec.signal?.addEventListener('abort', onAbort, { once: true });

    const nextJob = (worker: Worker): void => {
      busy.delete(worker);
      const job = failure === undefined ? queue.shift() : undefined;
      if (job === undefined) {
        void worker.terminate();
        return;
      }
      busy.set(worker, job);
      worker.postMessage(spec.jobMessage(job, stop));
    };

    const onMessage = (worker: Worker, received: PoolMessage | M): void => {
      const message = received as PoolMessage;
      switch (message.type) {
        case 'ready':
          nextJob(worker);
          return;
        case 'progress':
          try {
            spec.onSamples(message.samples);
          } catch (e) {
            stopAll(e);
          }
          return;
        case 'stopped':
          busy.delete(worker);
          void worker.terminate();
          return;
        case 'error':
          stopAll(deserializeWorkerError(message.error));
          void worker.terminate();
          return;
        default: {
          let jobDone: boolean;
          try {
            jobDone = spec.onResult(received as M);
          } catch (e) {
            stopAll(e);
            return;
          }
          if (jobDone) nextJob(worker);
        }
      }
    };

    const count = Math.max(1, Math.min(spec.workers, queue.length));
    for (let i = 0; i < count; i++) {
      let worker: Worker;
      try {
        worker = startShadowWorker();
      } catch (e) {
        stopAll(e);
        break;
      }
      live.add(worker);
      // Worker console output (tfjs banners) must not mix into a CLI's stdout (JSON reports).
      worker.stdout.pipe(process.stderr, { end: false });
      worker.on('message', (m: PoolMessage | M) => onMessage(worker, m));
      worker.on('error', (e) => stopAll(e));
      worker.on('exit', (code) => {
        live.delete(worker);
        if (failure === undefined && (busy.has(worker) || (live.size === 0 && queue.length > 0))) {
          stopAll(new Error(spec.lostWork(code)));
        }
        busy.delete(worker);
        if (live.size === 0) settle();
      });
      if (spec.setupMessage === undefined) nextJob(worker);
      else worker.postMessage(spec.setupMessage(stop));
    }
    if (live.size === 0 && failure !== undefined) settle();
  });
}

/** Rebuilds an error a worker thread serialised (an InputError keeps its location). */
export function deserializeWorkerError(e: SerializedError): Error {
  if (e.name === 'InputError' && e.location !== undefined) {
    // InputError prefixes its message with the location; strip it so it is not doubled.
    const prefix = `${formatLocation(e.location)}: `;
    return new InputError(e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message, e.location);
  }
  const error = new Error(e.message);
  error.name = e.name;
  if (e.stack !== undefined) error.stack = e.stack;
  return error;
}
