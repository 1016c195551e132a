/**
 * Trains defended models on the shadow pool's worker threads (the training worker,
 * workers/training-worker.ts, runs both kinds), one job per message and no setup;
 * cancellation and failures work as in the shadow pool.
 */
import type { RecordStore } from '../../shadow/record-store';
import { runPool } from '../../shadow/worker-pool';
import type { DefendJob, DefendJobResult } from './job';

/**
 * Trains a defended model's jobs somewhere (runDefendJobs: local threads; the queue's,
 * queue/defended-executor.ts) and writes each job's model into its outDir. Resolves with
 * every job's result in job order.
 */
export type DefendExecutor = (run: DefendPoolRun) => Promise<DefendJobResult[]>;

/**
 * Where a defended shadow's training records come from: the audit's record store and the
 * shadow's indices into it, so a remote executor ships the store once for every shadow
 * and sends indices (the jobs' members and reference are these rows, gathered).
 */
export interface DefendedShadowSource {
  shadow: number;
  store: RecordStore;
  /** recordsDigest of the store. */
  recordsDigest: string;
  members: Int32Array;
  reference?: Int32Array;
}

/** To the worker: a defended model to train; `stop` is the pool's shared stop flag. */
export interface DefendMessage {
  type: 'defend';
  job: DefendJob;
  stop: Int32Array;
}

/** From the worker: the trained model. */
export interface DefendedMessage {
  type: 'defended';
  result: DefendJobResult;
}

export interface DefendPoolRun {
  jobs: DefendJob[];
  workers: number;
  signal?: AbortSignal;
  /** Training samples just done; a throw fails the run. */
  onSamples: (count: number) => void;
}

/** Resolves with every job's result, in job order. */
export const runDefendJobs: DefendExecutor = (run) => {
  const results: DefendJobResult[] = [];
  return runPool<DefendJob, DefendedMessage>({
    jobs: run.jobs,
    workers: run.workers,
    signal: run.signal,
    onSamples: run.onSamples,
    jobMessage: (job, stop): DefendMessage => ({ type: 'defend', job, stop }),
    onResult: (message) => {
      if (message.type !== 'defended') return false;
      results.push(message.result);
      return true;
    },
    lostWork: (code) => `a worker exited (code ${code}) before finishing its defended model`,
  }).then(() => {
    if (results.length !== run.jobs.length) throw new Error(`only ${results.length} of ${run.jobs.length} defended models were trained`);
    return results.sort((a, b) => a.modelIndex - b.modelIndex);
  });
};
