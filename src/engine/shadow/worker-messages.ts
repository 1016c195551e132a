/**
 * Messages between the shadow-training pool (main thread) and its worker threads. The
 * same threads also train defended models (defenses/training/defend-pool.ts adds those
 * messages); the pool's own messages (ready, progress, stopped, error) serve every kind.
 */
import type { BackendPreference } from '../backend';
import type { GroupJob, GroupSetup } from './train-group';

export interface WorkerSetup extends GroupSetup {
  backend: BackendPreference;
  /** Shared flag: Int32Array over a SharedArrayBuffer; [0] != 0 asks every worker to stop. */
  stop: Int32Array;
}

export type ToWorker =
  | { type: 'setup'; setup: WorkerSetup }
  | { type: 'train'; job: GroupJob };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Set for InputError, so the pool can rebuild it with its location. */
  location?: { file: string; line?: number; column?: number; record?: number; field?: string };
}

/** What any worker thread sends about its job's life, whatever the job: handled by the pool itself. */
export type PoolMessage =
  | { type: 'ready' }
  | { type: 'progress'; samples: number }
  | { type: 'stopped' }
  | { type: 'error'; error: SerializedError };

export type FromWorker =
  | PoolMessage
  | { type: 'shadow'; shadow: number; auditProbabilities: Float32Array; populationProbabilities?: Float32Array }
  /** backend: what the job's shadows ran on (a tfjs backend, or 'wasm-simd' for the stacked trainer). */
  | { type: 'job-done'; backend: string };
