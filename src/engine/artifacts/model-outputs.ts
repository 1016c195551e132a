/**
 * A loaded classifier and its class probabilities on the audit's record groups: what
 * every attack and defense reads. The audit computes it (audit/model-outputs.ts, which
 * adds how the records were arranged); defenses produce defended ones of the same shape.
 */
import type { Dataset } from './dataset';
import type { Classifier } from './models';

export interface GroupOutputs {
  dataset: Dataset;
  probabilities: Float32Array;
}

export interface ModelOutputs {
  model: Classifier;
  members: GroupOutputs;
  nonMembers: GroupOutputs;
  population?: GroupOutputs;
}
