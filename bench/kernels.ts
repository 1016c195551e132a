/**
 * Training speed on the wasm backend with tfjs-wasm's stock kernels vs ours
 * (src/engine/backend/wasm-kernels). Run: node --import tsx bench/kernels.ts
 *
 * - MLP 784-256-10, batch 128, Adam: samples/second.
 * - Small CNN (conv3x3x16-pool-conv3x3x32-pool-dense10), batch 128, Adam: one epoch of
 *   2,000 images. Stock tfjs-wasm cannot train it at all (no Conv2DBackpropFilter), so
 *   the middle row adds only our filter gradient to the stock kernels.
 *
 * Data: the first 2,000 Fashion-MNIST training images when Debian's
 * dataset-fashion-mnist is installed, else random images (speed does not depend on it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/engine/backend';
import { registerWasmTrainingKernels, restoreStockWasmKernels } from '../src/engine/backend/wasm-kernels';
import { conv2dBackpropFilterConfig } from '../src/engine/backend/wasm-kernels/conv2d-backprop-filter';

const SAMPLES = 2000;
const BATCH = 128;
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

type KernelSet = 'stock' | 'stock + our filter gradient' | 'ours';

function useKernels(set: KernelSet): void {
  restoreStockWasmKernels();
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') !== undefined) tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
  if (set === 'stock + our filter gradient') tf.registerKernel(conv2dBackpropFilterConfig);
  if (set === 'ours') registerWasmTrainingKernels();
}

function loadImages(): { images: Float32Array; labels: Int32Array; source: string } {
  const imagesFile = `${FASHION_DIR}/train-images-idx3-ubyte.gz`;
  const labelsFile = `${FASHION_DIR}/train-labels-idx1-ubyte.gz`;
  if (fs.existsSync(imagesFile) && fs.existsSync(labelsFile)) {
    const rawImages = gunzipSync(fs.readFileSync(imagesFile)); // IDX: 16-byte header
    const rawLabels = gunzipSync(fs.readFileSync(labelsFile)); // IDX: 8-byte header
    const images = new Float32Array(SAMPLES * 784);
    for (let i = 0; i < images.length; i++) images[i] = rawImages[16 + i] / 255;
    const labels = Int32Array.from(rawLabels.subarray(8, 8 + SAMPLES));
    return { images, labels, source: 'Fashion-MNIST (first 2,000 training images)' };
  }
  const images = Float32Array.from({ length: SAMPLES * 784 }, () => Math.random());
  const labels = Int32Array.from({ length: SAMPLES }, () => Math.floor(Math.random() * 10));
  return { images, labels, source: 'random images (dataset-fashion-mnist not installed)' };
}

function mlp(): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }));
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

function cnn(): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

interface Result {
  seconds: number;
  /** CPU time of this process: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  loss: number;
}

/** One epoch over all samples, timed after a one-batch warm-up (kernel setup, JIT). */
async function trainEpoch(build: () => tfl.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<Result> {
  const model = build();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const warmX = tf.slice(x, 0, BATCH);
  const warmY = tf.slice(y, 0, BATCH);
  await model.fit(warmX, warmY, { batchSize: BATCH, epochs: 1, verbose: 0 });
  tf.dispose([warmX, warmY]);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const history = await model.fit(x, y, { batchSize: BATCH, epochs: 1, verbose: 0, shuffle: false });
  const cpu = process.cpuUsage(cpuStart);
  const seconds = (performance.now() - start) / 1000;
  model.dispose();
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, loss: history.history.loss[0] as number };
}

async function row(label: string, build: () => tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, set: KernelSet): Promise<void> {
  useKernels(set);
  try {
    const r = await trainEpoch(build, x, y);
    const n = x.shape[0];
    console.log(
      `${label.padEnd(5)} ${set.padEnd(28)} ${(n / r.seconds).toFixed(0).padStart(6)} samples/s wall` +
        ` ${(n / r.cpuSeconds).toFixed(0).padStart(6)} samples/s CPU` +
        `  epoch of ${n}: ${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds.toFixed(2)} s CPU  (loss ${r.loss.toFixed(3)})`,
    );
  } catch (e) {
    console.log(`${label.padEnd(5)} ${set.padEnd(28)} cannot train: ${(e as Error).message.split('\n')[0]}`);
  }
}

async function main(): Promise<void> {
  const info = await initBackend('wasm');
  const { images, labels, source } = loadImages();
  console.log(`backend ${info.name} (single-threaded SIMD build), Node ${process.version}, ` +
    `${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`data: ${source}; batch ${BATCH}; Adam`);

  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const flat = tf.tensor2d(images, [SAMPLES, 784]);
  const pictures = tf.reshape(flat, [SAMPLES, 28, 28, 1]);

  await row('MLP', mlp, flat, y, 'stock');
  await row('MLP', mlp, flat, y, 'ours');
  await row('CNN', cnn, pictures, y, 'stock');
  await row('CNN', cnn, pictures, y, 'stock + our filter gradient');
  await row('CNN', cnn, pictures, y, 'ours');
  useKernels('ours');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
