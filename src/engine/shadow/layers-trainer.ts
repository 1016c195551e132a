/**
 * The generic per-model path: one tfjs-layers model per shadow, trained with
 * trainOnBatch on the batch plan. Any architecture tfjs-layers can train works here
 * (CNNs, dropout, regularisers); the stacked trainer is faster for Dense stacks.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BatchPlan } from './batch-plan';
import { lossFor, makeOptimizer, outputKindOf, targetsFor, toProbabilities } from './layers-model';
import type { OptimizerSpec } from './optimizer';
import { gatherFeatures, type RecordStore } from './record-store';
import type { StepHooks } from './step-hooks';

/** Compiles the model for training with the shadow optimiser and the loss for its output. */
export function compileForTraining(model: tfl.LayersModel, optimizer: OptimizerSpec): void {
  model.compile({ optimizer: makeOptimizer(optimizer), loss: lossFor(outputKindOf(model)) });
}

/** Runs every step of `plan` on a compiled model. */
export async function trainLayersModel(
  model: tfl.LayersModel,
  plan: BatchPlan,
  store: RecordStore,
  numClasses: number,
  hooks: StepHooks,
): Promise<void> {
  const kind = outputKindOf(model);
  const inputShape = modelInputShape(model, store);
  const buffer = new Float32Array(plan.batchSize * store.size);
  for (let step = 0; step < plan.totalSteps; step++) {
    hooks.throwIfStopped();
    const batch = plan.batch(step) as Int32Array;
    const n = batch.length;
    gatherFeatures(store, batch, buffer);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) labels[i] = store.labels[batch[i]];
    const x = tf.tensor(buffer.subarray(0, n * store.size), [n, ...inputShape], 'float32');
    const y = targetsFor(kind, labels, numClasses);
    try {
      await model.trainOnBatch(x, y);
    } finally {
      tf.dispose([x, y]);
    }
    hooks.onSamples(n);
  }
}

/** Class probabilities of `count` records laid out in `features` (rows of store.size). */
export function predictLayersModel(model: tfl.LayersModel, store: RecordStore, features: Float32Array, count: number): Float32Array {
  const kind = outputKindOf(model);
  const inputShape = modelInputShape(model, store);
  return tf.tidy(() => {
    const x = tf.tensor(features.subarray(0, count * store.size), [count, ...inputShape], 'float32');
    return toProbabilities(kind, model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

/** The model's input shape without the batch dimension; free dimensions take the records'. */
function modelInputShape(model: tfl.LayersModel, store: RecordStore): number[] {
  const declared = model.inputs[0].shape.slice(1);
  if (declared.every((d) => d !== null)) return declared as number[];
  return declared.map((d, i) => d ?? store.featureShape[i]);
}
