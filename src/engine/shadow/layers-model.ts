/**
 * A fresh tfjs-layers model of the target's architecture for one shadow (seeded
 * initial weights), with the loss, optimiser and output conversion that go with it.
 * Used by the per-model trainer, and by the stacked trainer for initial weights.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers also registers tfjs-core's gradients, which training needs.
import * as tfl from '@tensorflow/tfjs-layers';
import type { Architecture } from './architecture';
import type { OptimizerSpec } from './optimizer';
import { seededTopology } from './seeded-topology';

/** What the model's output is: class probabilities, logits, or one sigmoid unit (binary). */
export type OutputKind = 'probabilities' | 'logits' | 'sigmoid';

export async function buildShadowModel(architecture: Architecture, seed: number, shadow: number): Promise<tfl.LayersModel> {
  const topology = seededTopology(architecture.topology, seed, shadow);
  return tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tfl.ModelAndWeightsConfig);
}

export function outputKindOf(model: tfl.LayersModel): OutputKind {
  const last = model.layers[model.layers.length - 1];
  const activation = (last.getConfig() as { activation?: string }).activation;
  const units = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  if (activation === 'softmax' || last.getClassName() === 'Softmax') return 'probabilities';
  if (activation === 'sigmoid' && units === 1) return 'sigmoid';
  return 'logits';
}

/** Classes the model's output distinguishes (a single sigmoid unit is binary). */
export function outputClasses(model: tfl.LayersModel): number {
  const shape = model.outputs[0].shape;
  const units = shape[shape.length - 1] ?? 0;
  return outputKindOf(model) === 'sigmoid' ? 2 : units;
}

/** Mean cross-entropy over the batch, matching each output kind. */
export function lossFor(kind: OutputKind): string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor) {
  if (kind === 'probabilities') return 'categoricalCrossentropy';
  if (kind === 'sigmoid') return 'binaryCrossentropy';
  return (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred);
}

/** Training targets for labels: one-hot rows, or a single 0/1 column for a sigmoid output. */
export function targetsFor(kind: OutputKind, labels: Int32Array, numClasses: number): tf.Tensor {
  if (kind === 'sigmoid') return tf.tensor2d(Float32Array.from(labels), [labels.length, 1]);
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses), 'float32'));
}

export function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  return spec.kind === 'adam'
    ? tf.train.adam(spec.learningRate, spec.beta1, spec.beta2, spec.epsilon)
    : tf.train.sgd(spec.learningRate);
}

/** Class probabilities [n, numClasses] from the model's raw output. */
export function toProbabilities(kind: OutputKind, output: tf.Tensor): tf.Tensor {
  if (kind === 'logits') return tf.softmax(output);
  if (kind === 'sigmoid') return tf.concat([tf.sub(1, output), output], 1);
  return output;
}
