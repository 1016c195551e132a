/** Messages between the shadow-training pool (main thread) and its worker threads. */
import type { BackendPreference } from '../backend';
import type { DefendJob, DefendJobResult } from '../defenses/training/job';
import type { GroupJob, GroupSetup } from './train-group';

export interface WorkerSetup extends GroupSetup {
  backend: BackendPreference;
  /** Shared flag: Int32Array over a SharedArrayBuffer; [0] != 0 asks every worker to stop. */
  stop: Int32Array;
}

export type ToWorker =
  | { type: 'setup'; setup: WorkerSetup }
  | { type: 'train'; job: GroupJob }
  /** A defended model (defenses/training): needs no setup; `stop` as in WorkerSetup. */
  | { type: 'defend'; job: DefendJob; stop: Int32Array };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Set for InputError, so the pool can rebuild it with its location. */
  location?: { file: string; line?: number; column?: number; record?: number; field?: string };
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; samples: number }
  | { type: 'shadow'; shadow: number; auditProbabilities: Float32Array; populationProbabilities?: Float32Array }
  /** backend: what the job's shadows ran on (a tfjs backend, or 'wasm-simd' for the stacked trainer). */
  | { type: 'job-done'; backend: string }
  | { type: 'defended'; result: DefendJobResult }
  | { type: 'stopped' }
  | { type: 'error'; error: SerializedError };
