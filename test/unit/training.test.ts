/**
 * Backend choice, and real training on the wasm backend with our kernels: a Dense MLP
 * and a small CNN learn synthetic tasks well above chance.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { currentBackend, initBackend } from '../../src/engine/backend';
import { uniformRandom as makeRandom } from '../../src/engine/random';


function isInstalled(moduleName: string): boolean {
  try {
    require.resolve(moduleName);
    return true;
  } catch {
    return false;
  }
}

// Runs first in this process: 'auto' must not have been decided yet.
describe('initBackend', () => {
  const tfjsNodeInstalled = isInstalled('@tensorflow/tfjs-node');

  test("'auto' falls back to wasm and says why", { skip: tfjsNodeInstalled && 'tfjs-node is installed' }, async () => {
    const info = await initBackend();
    assert.equal(info.name, 'wasm');
    assert.match(info.fallbackReason ?? '', /tensorflow: .*tfjs-node/);
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(currentBackend(), info);
  });

  test('a second call returns the same info', async () => {
    const first = await initBackend();
    assert.equal(await initBackend(), first);
    assert.equal(await initBackend(first.name), first);
  });

  test('an explicit different backend switches, and back', async () => {
    const cpu = await initBackend('cpu');
    assert.deepEqual(cpu, { name: 'cpu' });
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(currentBackend(), cpu);
    const wasm = await initBackend('wasm');
    assert.deepEqual(wasm, { name: 'wasm' });
    assert.equal(tf.getBackend(), 'wasm');
  });

  test('forcing an unavailable backend throws a clear error', { skip: tfjsNodeInstalled && 'tfjs-node is installed' }, async () => {
    await assert.rejects(initBackend('tensorflow'), /backend 'tensorflow' is not available: .*tfjs-node/);
    assert.equal(currentBackend()?.name, 'wasm', 'a failed switch keeps the previous backend');
    assert.equal(tf.getBackend(), 'wasm');
  });
});

interface Dataset {
  xs: tf.Tensor;
  ys: tf.Tensor;
  labels: number[];
}

function dataset(features: Float32Array, shape: number[], labels: number[], classes: number): Dataset {
  return {
    xs: tf.tensor(features, shape),
    ys: tf.oneHot(tf.tensor1d(labels, 'int32'), classes),
    labels,
  };
}

function accuracy(model: tfl.LayersModel, data: Dataset): number {
  const predicted = tf.tidy(() => tf.argMax(model.predict(data.xs) as tf.Tensor, 1).dataSync());
  let correct = 0;
  data.labels.forEach((label, i) => (correct += predicted[i] === label ? 1 : 0));
  return correct / data.labels.length;
}

async function train(model: tfl.LayersModel, train: Dataset, epochs: number, batchSize: number): Promise<number[]> {
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const history = await model.fit(train.xs, train.ys, { epochs, batchSize, shuffle: false, verbose: 0 });
  return history.history.loss as number[];
}

describe('training on wasm', () => {
  test('a Dense MLP learns a nonlinear 4-class task', async (t) => {
    await initBackend('wasm');
    const random = makeRandom(7);
    // Class = quadrant of two hidden directions in 16-d input: not linearly separable
    // by a single unit, easy for a hidden layer.
    const dims = 16;
    const u = Array.from({ length: dims }, () => random() - 0.5);
    const v = Array.from({ length: dims }, () => random() - 0.5);
    const make = (n: number): Dataset => {
      const features = new Float32Array(n * dims);
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        let pu = 0;
        let pv = 0;
        for (let d = 0; d < dims; d++) {
          const value = random() * 2 - 1;
          features[i * dims + d] = value;
          pu += value * u[d];
          pv += value * v[d];
        }
        labels.push((pu > 0 ? 1 : 0) + (pv > 0 ? 2 : 0));
      }
      return dataset(features, [n, dims], labels, 4);
    };
    const trainSet = make(768);
    const testSet = make(256);

    const model = tfl.sequential();
    const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });
    model.add(tfl.layers.dense({ inputShape: [dims], units: 64, activation: 'relu', kernelInitializer: seeded(1) }));
    model.add(tfl.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: seeded(2) }));
    const losses = await train(model, trainSet, 30, 64);

    assert.equal(tf.getBackend(), 'wasm');
    const testAccuracy = accuracy(model, testSet);
    t.diagnostic(`loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}, held-out accuracy ${testAccuracy.toFixed(3)}`);
    assert.ok(losses[losses.length - 1] < 0.4 * losses[0], `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
    assert.ok(testAccuracy > 0.8, `held-out accuracy ${testAccuracy} (chance 0.25)`);
    model.dispose();
    tf.dispose([trainSet.xs, trainSet.ys, testSet.xs, testSet.ys]);
  });

  test('a small CNN (conv, max pooling, strided conv, dense) learns to tell stroke directions', async (t) => {
    await initBackend('wasm');
    const random = makeRandom(11);
    const size = 12;
    // Class 0: horizontal stroke, 1: vertical stroke, 2: diagonal stroke; random
    // position and length, on noise.
    const make = (n: number): Dataset => {
      const pixels = new Float32Array(n * size * size);
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const label = i % 3;
        const base = i * size * size;
        for (let p = 0; p < size * size; p++) pixels[base + p] = random() * 0.3;
        const length = 5 + Math.floor(random() * 4);
        const r0 = Math.floor(random() * (size - length));
        const c0 = Math.floor(random() * (size - length));
        for (let k = 0; k < length; k++) {
          const [r, c] = label === 0 ? [r0, c0 + k] : label === 1 ? [r0 + k, c0] : [r0 + k, c0 + k];
          pixels[base + r * size + c] = 1;
        }
        labels.push(label);
      }
      return dataset(pixels, [n, size, size, 1], labels, 3);
    };
    const trainSet = make(384);
    const testSet = make(150);

    const model = tfl.sequential();
    const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });
    // 16 filters on 1 channel: the im2col filter gradient; the next layer uses the
    // convolution one, a stride-2 input gradient and the max-pool gradient.
    model.add(tfl.layers.conv2d({
      inputShape: [size, size, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seeded(3),
    }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tfl.layers.conv2d({
      filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: seeded(4),
    }));
    model.add(tfl.layers.flatten());
    model.add(tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: seeded(5) }));
    const losses = await train(model, trainSet, 12, 32);

    assert.equal(tf.getBackend(), 'wasm');
    const testAccuracy = accuracy(model, testSet);
    t.diagnostic(`loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}, held-out accuracy ${testAccuracy.toFixed(3)}`);
    assert.ok(losses[losses.length - 1] < 0.4 * losses[0], `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
    assert.ok(testAccuracy > 0.8, `held-out accuracy ${testAccuracy} (chance 0.33)`);
    model.dispose();
    tf.dispose([trainSet.xs, trainSet.ys, testSet.xs, testSet.ys]);
  });
});
