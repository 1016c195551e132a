/**
 * Runs shadow-training jobs on a pool of worker threads: each worker gets the shared
 * setup once, then pulls jobs until none are left. Cancellation raises a shared stop
 * flag that workers poll before every training step; results that arrive meanwhile are
 * still delivered (finished shadows are kept), and a worker that has not stopped after
 * STOP_GRACE_MS is terminated.
 */
import type { Worker } from 'node:worker_threads';
import { CancelledError } from '../audit/progress';
import { InputError, formatLocation } from '../errors';
import type { DefendJob, DefendJobResult } from '../defenses/training/job';
import type { GroupJob, ShadowResult } from './train-group';
import type { FromWorker, SerializedError, ToWorker, WorkerSetup } from './worker-messages';
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
}

/** Resolves with the backend the workers ran on once every job is done. */
export function runWorkerPool(run: PoolRun): Promise<{ backend: string }> {
  if (run.signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise((resolve, reject) => {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const setup: WorkerSetup = { ...run.setup, stop };
    const queue = [...run.jobs];
    const live = new Set<Worker>();
    /** The job each worker is on; a worker that exits holding one has lost it. */
    const busy = new Map<Worker, GroupJob>();
    let failure: unknown;
    let backend = '';
    let graceTimer: NodeJS.Timeout | undefined;

    const settle = (): void => {
      clearTimeout(graceTimer);
      run.signal?.removeEventListener('abort', onAbort);
      if (failure !== undefined) reject(failure);
      else resolve({ backend });
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
    run.signal?.addEventListener('abort', onAbort, { once: true });

    const nextJob = (worker: Worker): void => {
      busy.delete(worker);
      const job = failure === undefined ? queue.shift() : undefined;
      if (job === undefined) {
        void worker.terminate();
        return;
      }
      busy.set(worker, job);
      const message: ToWorker = { type: 'train', job };
      worker.postMessage(message);
    };

    const onMessage = (worker: Worker, message: FromWorker): void => {
      switch (message.type) {
        case 'ready':
          nextJob(worker);
          return;
        case 'progress':
          try {
            run.onSamples(message.samples);
          } catch (e) {
            stopAll(e);
          }
          return;
        case 'shadow':
          try {
            run.onShadow(message);
          } catch (e) {
            stopAll(e);
          }
          return;
        case 'job-done':
          backend = message.backend;
          nextJob(worker);
          return;
        case 'stopped':
          busy.delete(worker);
          void worker.terminate();
          return;
        case 'error':
          stopAll(deserialize(message.error));
          void worker.terminate();
          return;
      }
    };

    const count = Math.max(1, Math.min(run.workers, queue.length));
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
      worker.on('message', (m: FromWorker) => onMessage(worker, m));
      worker.on('error', (e) => stopAll(e));
      worker.on('exit', (code) => {
        live.delete(worker);
        if (failure === undefined && (busy.has(worker) || (live.size === 0 && queue.length > 0))) {
          stopAll(new Error(`a shadow worker exited (code ${code}) before finishing its shadows`));
        }
        busy.delete(worker);
        if (live.size === 0) settle();
      });
      const message: ToWorker = { type: 'setup', setup };
      worker.postMessage(message);
    }
    if (live.size === 0 && failure !== undefined) settle();
  });
}

export interface DefendPoolRun {
  jobs: DefendJob[];
  workers: number;
  signal?: AbortSignal;
  /** Training samples just done; a throw fails the run. */
  onSamples: (count: number) => void;
}

/**
 * Trains defended models (defenses/training) on worker threads, one job per message and
 * no setup; cancellation and failures work as in runWorkerPool. Resolves with every
 * job's result, in job order.
 */
export function runDefendJobs(run: DefendPoolRun): Promise<DefendJobResult[]> {
  if (run.signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise((resolve, reject) => {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const queue = [...run.jobs];
    const results: DefendJobResult[] = [];
    const live = new Set<Worker>();
    const busy = new Map<Worker, DefendJob>();
    let failure: unknown;
    let graceTimer: NodeJS.Timeout | undefined;

    const settle = (): void => {
      clearTimeout(graceTimer);
      run.signal?.removeEventListener('abort', onAbort);
      if (failure !== undefined) reject(failure);
      else if (results.length !== run.jobs.length) reject(new Error(`only ${results.length} of ${run.jobs.length} defended models were trained`));
      else resolve(results.sort((a, b) => a.modelIndex - b.modelIndex));
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
    run.signal?.addEventListener('abort', onAbort, { once: true });

    const nextJob = (worker: Worker): void => {
      busy.delete(worker);
      const job = failure === undefined ? queue.shift() : undefined;
      if (job === undefined) {
        void worker.terminate();
        return;
      }
      busy.set(worker, job);
      const message: ToWorker = { type: 'defend', job, stop };
      worker.postMessage(message);
    };

    const onMessage = (worker: Worker, message: FromWorker): void => {
      if (message.type === 'progress') {
        try {
          run.onSamples(message.samples);
        } catch (e) {
          stopAll(e);
        }
      } else if (message.type === 'defended') {
        results.push(message.result);
        nextJob(worker);
      } else if (message.type === 'stopped') {
        busy.delete(worker);
        void worker.terminate();
      } else if (message.type === 'error') {
        stopAll(deserialize(message.error));
        void worker.terminate();
      }
    };

    const count = Math.max(1, Math.min(run.workers, queue.length));
    for (let i = 0; i < count; i++) {
      let worker: Worker;
      try {
        worker = startShadowWorker();
      } catch (e) {
        stopAll(e);
        break;
      }
      live.add(worker);
      worker.stdout.pipe(process.stderr, { end: false });
      worker.on('message', (m: FromWorker) => onMessage(worker, m));
      worker.on('error', (e) => stopAll(e));
      worker.on('exit', (code) => {
        live.delete(worker);
        if (failure === undefined && busy.has(worker)) {
          stopAll(new Error(`a worker exited (code ${code}) before finishing its defended model`));
        }
        busy.delete(worker);
        if (live.size === 0) settle();
      });
      nextJob(worker);
    }
    if (live.size === 0 && failure !== undefined) settle();
  });
}

function deserialize(e: SerializedError): Error {
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
