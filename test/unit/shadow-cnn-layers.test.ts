/**
 * The convolutional trainer's layers against TF.js's cpu backend on the same inputs and
 * weights: forward probabilities, and the gradient of the batch-mean cross-entropy for
 * every kernel and bias (tf.variableGrads). Each network puts a trainable layer before
 * the layer under test, so a wrong input gradient of a conv, pool, dropout or activation
 * shows in the weights' gradients below it.
 * Tolerance: |ours - tfjs| <= 1e-4 x the largest |tfjs| value of that tensor (float32
 * sums in another order), and 1e-5 absolute on probabilities.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { axis, cnnSpecOf, isCnnSpec, type CnnSpec } from '../../src/engine/shadow/cnn-architecture';
import { CnnTrainer, type CnnLayerWeights } from '../../src/engine/shadow/cnn-trainer';
import type { OptimizerSpec } from '../../src/engine/shadow/optimizer';
import { makeRandom } from '../../src/engine/shadow/random';
import type { RecordStore } from '../../src/engine/shadow/record-store';

const SGD: OptimizerSpec = { kind: 'sgd', learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, source: 'settings' };
const BATCH = 6;
const CLASSES = 4;

function specOf(model: tfl.Sequential): CnnSpec {
  const spec = cnnSpecOf(model.toJSON(null, false) as unknown as Record<string, unknown>);
  assert.ok(isCnnSpec(spec), `our trainer takes it: ${JSON.stringify(spec)}`);
  return spec;
}

/**
 * Random weights everywhere (biases, gammas, moving statistics too, so every term is
 * exercised; moving variances positive), set on the TF.js model layer by layer.
 */
function randomiseWeights(model: tfl.Sequential, seed: number): CnnLayerWeights[] {
  const random = makeRandom(seed);
  const out: CnnLayerWeights[] = [];
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const names = layer.weights.map((w) => w.originalName);
    const values = weights.map((w, j) => Float32Array.from({ length: w.size }, () =>
      (/moving_variance/.test(names[j]) ? 0.5 + random() : /gamma/.test(names[j]) ? 0.5 + random() : (random() * 2 - 1) * 0.5)));
    layer.setWeights(values.map((v, j) => tf.tensor(v, weights[j].shape)));
    if (layer.getClassName() !== 'BatchNormalization') {
      out.push({ kernel: values[0], bias: values[1] });
      continue;
    }
    const named = (part: string): Float32Array | undefined => values[names.findIndex((n) => n.endsWith(part))];
    out.push({ kernel: named('gamma') ?? new Float32Array(0), bias: named('beta'), movingMean: named('moving_mean'), movingVariance: named('moving_variance') });
  }
  return out;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function assertClose(ours: Float32Array, theirs: Float32Array, what: string, relative = 1e-4): void {
  assert.equal(ours.length, theirs.length, `${what}: length`);
  const scale = Math.max(maxAbs(theirs), 1e-6);
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
  assert.ok(worst <= relative * scale, `${what}: max |ours - tfjs| = ${worst.toExponential(2)} > ${relative} x ${scale.toExponential(2)}`);
}

/** Compares our forward pass and gradients with TF.js's on one random batch. */
function compare(model: tfl.Sequential, logits: boolean, seed: number): void {
  const spec = specOf(model);
  const weights = randomiseWeights(model, seed);
  const random = makeRandom(seed + 1);
  const [h, w, c] = [spec.input.h, spec.input.w, spec.input.c];
  const features = Float32Array.from({ length: BATCH * spec.inputSize }, () => random() * 2 - 1);
  const labels = Int32Array.from({ length: BATCH }, () => Math.floor(random() * CLASSES));
  const store: RecordStore = { featureShape: [h, w, c], size: spec.inputSize, auditCount: BATCH, populationCount: 0, features, labels };

  const ours = new CnnTrainer(spec, weights, SGD, BATCH);
  const probabilities = ours.predict(features, BATCH);
  ours.computeGradients(store, Int32Array.from({ length: BATCH }, (_, i) => i));
  const gradients = ours.gradients();

  const x = tf.tensor4d(features, [BATCH, h, w, c]);
  const y = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32');
  const theirProbabilities = tf.tidy(() => {
    const out = model.predict(x) as tf.Tensor;
    return (logits ? tf.softmax(out) : out).dataSync() as Float32Array;
  });
  assertClose(probabilities, theirProbabilities, 'probabilities', 1e-5 / Math.max(maxAbs(theirProbabilities), 1e-6));
  const { grads } = tf.variableGrads(() => {
    const out = model.apply(x, { training: true }) as tf.Tensor;
    return (logits ? tf.losses.softmaxCrossEntropy(y, out) : tf.mean(tfl.metrics.categoricalCrossentropy(y, out))) as tf.Scalar;
  });
  const trainable = model.trainableWeights;
  let g = 0;
  for (const [layerIndex, weight] of gradients.entries()) {
    if (weight.kernel.length === 0) {
      // A BatchNormalization without scale: beta only.
      assertClose(weight.bias as Float32Array, grads[trainable[g++].originalName].dataSync() as Float32Array, `layer ${layerIndex} beta gradient`);
      continue;
    }
    const kernel = grads[trainable[g++].originalName].dataSync() as Float32Array;
    assertClose(weight.kernel, kernel, `layer ${layerIndex} kernel gradient`);
    if (weight.bias !== undefined) assertClose(weight.bias, grads[trainable[g++].originalName].dataSync() as Float32Array, `layer ${layerIndex} bias gradient`);
  }
  assert.equal(g, trainable.length, 'every trainable tensor compared');
  tf.dispose([x, y, ...Object.values(grads)]);
  model.dispose();
}

describe('which CNNs the convolutional trainer takes', () => {
  const seq = (layers: Record<string, unknown>[]): Record<string, unknown> => ({ class_name: 'Sequential', config: { name: 's', layers } });
  const input = { class_name: 'InputLayer', config: { batch_shape: [null, 8, 8, 2] } };
  const conv = (extra: Record<string, unknown> = {}) => ({ class_name: 'Conv2D', config: { filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', ...extra } });
  const tail = [{ class_name: 'Flatten', config: {} }, { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }];

  test('a Keras 3 style InputLayer (batch_shape), shapes resolved through the layers', () => {
    const spec = cnnSpecOf(seq([input, conv(), { class_name: 'MaxPooling2D', config: { pool_size: [2, 2], padding: 'valid', strides: null } }, ...tail]));
    assert.ok(isCnnSpec(spec), JSON.stringify(spec));
    assert.deepEqual(spec.input, { h: 8, w: 8, c: 2 });
    assert.deepEqual(spec.layers.map((l) => l.kind), ['conv', 'maxPool', 'dense']);
    assert.deepEqual(spec.layers[2].kind === 'dense' && [spec.layers[2].inSize, spec.layers[2].units], [4 * 4 * 4, 3]);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['dilated', seq([input, conv({ dilation_rate: [2, 2] }), ...tail]), /layer 1 \(Conv2D\) is dilated/],
    ['channels first', seq([input, conv({ data_format: 'channels_first' }), ...tail]), /channels_last/],
    ['a regulariser', seq([input, conv({ kernel_regularizer: { class_name: 'L2', config: {} } }), ...tail]), /kernel_regularizer/],
    ['layer normalisation', seq([input, conv(), { class_name: 'LayerNormalization', config: {} }, ...tail]), /layer 2 is LayerNormalization/],
    ['batch normalisation without scale (TF.js cannot train it either)', seq([input, conv(), { class_name: 'BatchNormalization', config: { scale: false } }, ...tail]), /BatchNormalization\) has no scale/],
    ['batch normalisation over rows', seq([input, conv(), { class_name: 'BatchNormalization', config: { axis: 1 } }, ...tail]), /normalises axis 1, not the channels/],
    ['a hidden softmax', seq([input, conv({ activation: 'softmax' }), ...tail]), /softmax before the output layer/],
    ['a sigmoid output', seq([input, conv(), tail[0], { class_name: 'Dense', config: { units: 1, activation: 'sigmoid' } }]), /needs softmax or logits/],
    ['Dense without Flatten', seq([input, conv(), tail[1]]), /needs a Flatten before it/],
    ['no convolution', seq([{ class_name: 'InputLayer', config: { batch_shape: [null, 4] } }, tail[1]]), /no convolution or pooling layer/],
  ];
  for (const [name, topology, reason] of refused) {
    test(`refused, with the reason: ${name}`, () => {
      const spec = cnnSpecOf(topology);
      assert.ok(!isCnnSpec(spec));
      assert.match(spec.reason, reason);
    });
  }
});

describe('convolutional trainer layers against TF.js (cpu backend)', () => {
  before(async () => {
    await initBackend('cpu');
  });

  test("TensorFlow's 'same' rule: output size and leading padding", () => {
    assert.deepEqual(axis(28, 3, 1, 'same'), { out: 28, pad: 1 });
    assert.deepEqual(axis(7, 5, 2, 'same'), { out: 4, pad: 2 });
    assert.deepEqual(axis(8, 3, 2, 'same'), { out: 4, pad: 0 });
    assert.deepEqual(axis(9, 3, 2, 'valid'), { out: 4, pad: 0 });
  });

  test("Conv2D 3x3 'same' + ReLU, MaxPooling2D 2x2, twice, then Dense softmax (the benchmark CNN, small)", () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [10, 10, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
    compare(m, false, 11);
  });

  test("strided 'valid' Conv2D + tanh, AveragePooling2D 'valid', Dense logits", () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [11, 13, 3], filters: 5, kernelSize: 3, strides: 2, padding: 'valid', activation: 'tanh' }));
    m.add(tfl.layers.conv2d({ filters: 6, kernelSize: [2, 3], strides: [1, 2], padding: 'valid', activation: 'sigmoid', useBias: false }));
    m.add(tfl.layers.averagePooling2d({ poolSize: 2, padding: 'valid' }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: CLASSES, activation: 'linear' }));
    compare(m, true, 12);
  });

  test("5x5 stride-2 'same' Conv2D (uneven padding), overlapping 'same' max pool, hidden Dense", () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [9, 8, 1], filters: 4, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'linear' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 7, activation: 'sigmoid' }));
    m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
    compare(m, false, 13);
  });

  test('1x1 Conv2D (no im2col) with a separate ReLU Activation layer, then Dense + Activation softmax', () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [6, 6, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.conv2d({ filters: 5, kernelSize: 1 }));
    m.add(tfl.layers.activation({ activation: 'relu' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: CLASSES }));
    m.add(tfl.layers.activation({ activation: 'softmax' }));
    compare(m, false, 14);
  });

  test("AveragePooling2D 'same' over the edge: forward as TF.js, gradient of that forward (TF.js's own is not)", () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [7, 7, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.averagePooling2d({ poolSize: 2, padding: 'same' }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
    const spec = specOf(m);
    const weights = randomiseWeights(m, 15);
    const random = makeRandom(16);
    const features = Float32Array.from({ length: BATCH * spec.inputSize }, () => random() * 2 - 1);
    const labels = Int32Array.from({ length: BATCH }, () => Math.floor(random() * CLASSES));
    const store: RecordStore = { featureShape: [7, 7, 2], size: spec.inputSize, auditCount: BATCH, populationCount: 0, features, labels };
    const ours = new CnnTrainer(spec, weights, SGD, BATCH);
    const x = tf.tensor4d(features, [BATCH, 7, 7, 2]);
    const theirs = tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync() as Float32Array);
    assertClose(ours.predict(features, BATCH), theirs, 'probabilities', 1e-5 / maxAbs(theirs));
    ours.computeGradients(store, Int32Array.from({ length: BATCH }, (_, i) => i));
    // The same forward written with differentiable ops: zero-pad bottom/right by one
    // (TensorFlow's 'same' split for 7 -> 4), sum-pool, divide by the positions inside.
    const counts = tf.tensor4d(Float32Array.from({ length: 16 }, (_, i) => (Math.floor(i / 4) === 3 ? 2 : 4) / (i % 4 === 3 ? 2 : 1)), [1, 4, 4, 1]);
    const [k0, b0, k1, b1] = weights.flatMap((w) => [w.kernel, w.bias as Float32Array]);
    const vars = [tf.variable(tf.tensor4d(k0, [3, 3, 2, 3])), tf.variable(tf.tensor1d(b0)), tf.variable(tf.tensor2d(k1, [48, CLASSES])), tf.variable(tf.tensor1d(b1))];
    const y = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32');
    const { grads } = tf.variableGrads(() => {
      const conv = tf.relu(tf.add(tf.conv2d(x, vars[0] as tf.Tensor4D, 1, 'same'), vars[1]));
      const pooled = tf.div(tf.mul(tf.avgPool(tf.pad(conv as tf.Tensor4D, [[0, 0], [0, 1], [0, 1], [0, 0]]), 2, 2, 'valid'), 4), counts);
      const logits = tf.add(tf.matMul(tf.reshape(pooled, [BATCH, 48]), vars[2] as tf.Tensor2D), vars[3]);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    }, vars);
    const g = ours.gradients();
    const reference = vars.map((v) => grads[v.name].dataSync() as Float32Array);
    assertClose(g[0].kernel, reference[0], 'conv kernel gradient');
    assertClose(g[0].bias as Float32Array, reference[1], 'conv bias gradient');
    assertClose(g[1].kernel, reference[2], 'dense kernel gradient');
    assertClose(g[1].bias as Float32Array, reference[3], 'dense bias gradient');
    tf.dispose([x, y, counts, ...vars, ...Object.values(grads)]);
    m.dispose();
  });

  test('Dropout: identity when predicting; in training, inverted masks (kept values x 1 / (1 - rate)) in the gradient', () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3, padding: 'valid', activation: 'relu' }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dropout({ rate: 0.25 }));
    m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
    const spec = specOf(m);
    const weights = randomiseWeights(m, 17);
    const random = makeRandom(18);
    const features = Float32Array.from({ length: BATCH * 25 }, () => random() * 2 - 1);
    const labels = Int32Array.from({ length: BATCH }, () => Math.floor(random() * CLASSES));
    const store: RecordStore = { featureShape: [5, 5, 1], size: 25, auditCount: BATCH, populationCount: 0, features, labels };
    // A stub source: dropped where it draws below the rate.
    const draws = Float32Array.from({ length: BATCH * 18 }, () => random());
    let next = 0;
    const ours = new CnnTrainer(spec, weights, SGD, BATCH, () => draws[next++]);
    const x = tf.tensor4d(features, [BATCH, 5, 5, 1]);
    const theirs = tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync() as Float32Array);
    assertClose(ours.predict(features, BATCH), theirs, 'probabilities (dropout is the identity)', 1e-5 / maxAbs(theirs));
    assert.equal(next, 0, 'predicting draws no masks');
    ours.computeGradients(store, Int32Array.from({ length: BATCH }, (_, i) => i));
    assert.equal(next, BATCH * 18, 'one draw per value in training');
    const mask = tf.tensor2d(Float32Array.from(draws, (d) => (d < 0.25 ? 0 : 1 / 0.75)), [BATCH, 18]);
    const vars = [tf.variable(tf.tensor4d(weights[0].kernel, [3, 3, 1, 2])), tf.variable(tf.tensor1d(weights[0].bias as Float32Array)),
      tf.variable(tf.tensor2d(weights[1].kernel, [18, CLASSES])), tf.variable(tf.tensor1d(weights[1].bias as Float32Array))];
    const y = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32');
    const { grads } = tf.variableGrads(() => {
      const conv = tf.relu(tf.add(tf.conv2d(x, vars[0] as tf.Tensor4D, 1, 'valid'), vars[1]));
      const dropped = tf.mul(tf.reshape(conv, [BATCH, 18]), mask);
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(dropped, vars[2] as tf.Tensor2D), vars[3])) as tf.Scalar;
    }, vars);
    const g = ours.gradients();
    assertClose(g[0].kernel, grads[vars[0].name].dataSync() as Float32Array, 'conv kernel gradient');
    assertClose(g[0].bias as Float32Array, grads[vars[1].name].dataSync() as Float32Array, 'conv bias gradient');
    assertClose(g[1].kernel, grads[vars[2].name].dataSync() as Float32Array, 'dense kernel gradient');
    tf.dispose([x, y, mask, ...vars, ...Object.values(grads)]);
    m.dispose();
  });

  test('BatchNormalization after a linear Conv2D, with a ReLU Activation: moving statistics when predicting, batch statistics in training', () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same', useBias: false }));
    m.add(tfl.layers.batchNormalization());
    m.add(tfl.layers.activation({ activation: 'relu' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
    compare(m, false, 19);
  });

  test('BatchNormalization after a ReLU Conv2D (other epsilon), and on Dense features (1-D, other momentum)', () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [7, 6, 1], filters: 4, kernelSize: 3, padding: 'valid', activation: 'relu' }));
    m.add(tfl.layers.batchNormalization({ epsilon: 0.01 }));
    m.add(tfl.layers.averagePooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 7, activation: 'tanh' }));
    m.add(tfl.layers.batchNormalization({ momentum: 0.9 }));
    m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
    compare(m, false, 20);
  });
});
