/**
 * One defended model's training, as run in a shadow worker thread (or in the calling
 * thread when workers = 0): build the model, train it with its defense, and save it as
 * a TensorFlow.js Layers model into the job's output folder. An ensemble is several
 * jobs, one per member model.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../../artifacts/dataset';
import { recordSize } from '../../artifacts/dataset';
import { layersModelFileWriter } from '../../artifacts/models/tfjs-layers-files';
import { initBackend, type BackendPreference } from '../../backend';
import { InputError } from '../../errors';
import type { Architecture } from '../../shadow/architecture';
import { outputClasses } from '../../shadow/layers-model';
import type { OptimizerSpec } from '../../shadow/optimizer';
import type { StepHooks } from '../../shadow/step-hooks';
import { trainDpSgd } from './dp-sgd-trainer';
import { trainWithDefense } from './layers-defense-trainer';
import type { DefendedModel, TrainingDefenseSpec } from './types';

export interface DefendJob {
  architecture: Architecture;
  targetModelFile: string;
  members: Dataset;
  /** Indices into `members` this model trains on: all of them, or an ensemble member's share. */
  share: Int32Array;
  reference?: Dataset;
  numClasses: number;
  defense: TrainingDefenseSpec;
  optimizer: OptimizerSpec;
  /** Which model of the defense this is (ensemble member index; 0 otherwise); seeds depend on it. */
  modelIndex: number;
  /** Folder the trained model.json and its weights are written to. */
  outDir: string;
  backend: BackendPreference;
}

export interface DefendJobResult {
  modelIndex: number;
  notes: string[];
  dp?: NonNullable<DefendedModel['dp']>;
  /** Training examples processed. */
  samples: number;
  backend: string;
}

/** What a trainer hands back: the trained model (owned by the caller) and its report. */
export interface TrainedModel {
  model: tfl.LayersModel;
  notes: string[];
  dp?: NonNullable<DefendedModel['dp']>;
  samples: number;
}

export async function runDefendJob(job: DefendJob, hooks: StepHooks): Promise<DefendJobResult> {
  const info = await initBackend(job.backend);
  const trained = job.defense.name === 'dp-sgd' ? await trainDpSgd(job, hooks) : await trainWithDefense(job, hooks);
  try {
    await trained.model.save(layersModelFileWriter(job.outDir));
  } finally {
    trained.model.dispose();
  }
  return { modelIndex: job.modelIndex, notes: trained.notes, dp: trained.dp, samples: trained.samples, backend: info.name };
}

/** The model must take the records and output the audit's classes. */
export function checkModelFits(model: tfl.LayersModel, job: DefendJob, file: string): void {
  const where = { file, field: 'modelTopology' };
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new InputError(`defended retraining needs one input and one output, found ${model.inputs.length} and ${model.outputs.length}`, where);
  }
  const declared = model.inputs[0].shape.slice(1);
  const size = recordSize(job.members.featureShape);
  if (declared.every((d) => d !== null) && recordSize(declared as number[]) !== size) {
    throw new InputError(`the model takes ${recordSize(declared as number[])} input values per record but the members have ${size}`, where);
  }
  const classes = outputClasses(model);
  if (classes !== job.numClasses) {
    throw new InputError(`the model has ${classes} output classes but the audit has ${job.numClasses}`, where);
  }
}

/** The model's input shape without the batch dimension; free dimensions take the records'. */
export function inputShapeOf(model: tfl.LayersModel, featureShape: number[]): number[] {
  return model.inputs[0].shape.slice(1).map((d, i) => d ?? featureShape[i]) as number[];
}

/** Features of records `indices` of `data`, row after row. */
export function gatherRows(data: Dataset, indices: ArrayLike<number>): Float32Array {
  const size = recordSize(data.featureShape);
  const out = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    out.set(data.features.subarray(r * size, (r + 1) * size), i * size);
  }
  return out;
}

export function gatherLabels(data: Dataset, indices: ArrayLike<number>): Int32Array {
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = data.labels[indices[i]];
  return out;
}
