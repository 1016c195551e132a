/**
 * Everything in a worker that needs TensorFlow.js: the per-model path (one tfjs-layers
 * model per shadow) and, for Dense stacks with initializers dense-init.ts does not
 * cover, initial weights from a seeded tfjs-layers model. train-group.ts loads this
 * module only when needed, so stacked-only workers never load TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, type BackendPreference } from '../backend';
import { queryVariants } from '../attacks/augmentations';
import { InputError } from '../errors';
import type { DenseStack } from './architecture';
import { BatchPlan } from './batch-plan';
import { buildShadowModel, outputClasses } from './layers-model';
import { compileForTraining, predictLayersModel, trainLayersModel } from './layers-trainer';
import { scoreShadows } from './scoring';
import type { LayerWeights } from './stacked-mlp';
import type { StepHooks } from './step-hooks';
import type { GroupSetup, ShadowResult } from './train-group';

/** Trains, checks and scores one shadow with tfjs-layers; returns its outputs and the backend used. */
export async function trainPerModel(
  setup: GroupSetup,
  backend: BackendPreference,
  shadow: number,
  members: Int32Array,
  hooks: StepHooks,
): Promise<ShadowResult & { backend: string }> {
  const info = await initBackend(backend);
  const model = await buildShadowModel(setup.architecture, setup.seed, shadow);
  try {
    checkLayersModel(setup, model);
    compileForTraining(model, setup.optimizer);
    const plan = new BatchPlan(members, setup.batchSize, setup.epochs, setup.seed, shadow);
    await trainLayersModel(model, plan, setup.store, setup.numClasses, hooks);
    const scores = scoreShadows(setup.store, queryVariants(setup.queries), setup.numClasses, 1,
      (features, count) => [predictLayersModel(model, setup.store, features, count)], () => hooks.throwIfStopped());
    return { shadow, auditProbabilities: scores.audit[0], populationProbabilities: scores.population?.[0], backend: info.name };
  } finally {
    // An optimizer instance passed to compile() is not owned (nor disposed) by the model.
    (model.optimizer as tf.Optimizer | undefined)?.dispose();
    model.dispose();
  }
}

/** Shadow s's initial Dense-stack weights from the seeded tfjs-layers model (any initializer). */
export async function layersInitialWeights(setup: GroupSetup, backend: BackendPreference, stack: DenseStack, shadow: number): Promise<LayerWeights[]> {
  await initBackend(backend);
  const model = await buildShadowModel(setup.architecture, setup.seed, shadow);
  try {
    const values = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    let i = 0;
    return stack.layers.map((layer) => ({ kernel: values[i++], bias: layer.useBias ? values[i++] : undefined }));
  } finally {
    model.dispose();
  }
}

function checkLayersModel(setup: GroupSetup, model: tfl.LayersModel): void {
  const where = { file: setup.architecture.file, field: 'modelTopology' };
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new InputError(`shadow models need one input and one output, found ${model.inputs.length} and ${model.outputs.length}`, where);
  }
  const declared = model.inputs[0].shape.slice(1);
  const size = declared.every((d) => d !== null) ? (declared as number[]).reduce((a, b) => a * b, 1) : setup.store.size;
  if (size !== setup.store.size) {
    throw new InputError(`the model takes ${size} input values per record but the records have ${setup.store.size}`, where);
  }
  const classes = outputClasses(model);
  if (classes !== setup.numClasses) {
    throw new InputError(`the model has ${classes} output classes but the audit has ${setup.numClasses}`, where);
  }
}
