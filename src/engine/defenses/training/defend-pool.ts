/**
 * Trains defended models on the shadow pool's worker threads (the training worker,
 * workers/training-worker.ts, runs both kinds), one job per message and no setup;
 * cancellation and failures work as in the shadow pool.
 */
import { runPool } from '../../shadow/worker-pool';
import type { DefendJob, DefendJobResult } from './job';

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
export function runDefendJobs(run: DefendPoolRun): Promise<DefendJobResult[]> {
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
}
