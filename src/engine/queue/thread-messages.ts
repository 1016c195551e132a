/** Messages between a queue worker process and its training threads (see train-thread.ts). */
import type { BackendPreference } from '../backend';
import type { GroupJob, GroupSetup } from '../shadow/train-group';

export interface TrainRequest {
  type: 'train';
  setup: GroupSetup & { backend: BackendPreference };
  job: GroupJob;
  /** Int32Array over a SharedArrayBuffer; [0] != 0 asks the thread to stop before its next step. */
  stop: Int32Array;
}

export type FromTrainThread =
  | { type: 'samples'; count: number }
  | { type: 'shadow'; shadow: number; auditProbabilities: Float32Array; populationProbabilities?: Float32Array }
  | { type: 'done'; backend: string }
  | { type: 'stopped' }
  | { type: 'error'; name: string; message: string; stack?: string };
