/**
 * Builds examples/fashion-mnist: a deliberately overfit MLP target trained on 2,000
 * Fashion-MNIST images (Debian's dataset-fashion-mnist), saved as a TF.js Layers model,
 * with members, non-members and population files and a manifest.
 *   node --import tsx scripts/build-example.ts [--source /usr/share/datasets/fashion-mnist]
 * The split is seeded; re-running gives the same files (training on wasm is deterministic
 * up to float rounding).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/engine/backend';
import { loadDataset } from '../src/engine/artifacts/datasets';
import { layersModelFileWriter } from '../src/engine/artifacts/models/tfjs-layers-files';
import { writeNpz } from './lib/npz-writer';
import { seededRandom, shuffledIndices } from './lib/seeded-random';

const MEMBERS = 2000;
const NON_MEMBERS = 2000;
const POPULATION = 10000;
const EPOCHS = 60;
const SEED = 20261128;

async function main() {
  const argSource = process.argv.indexOf('--source');
  const source = argSource > 0 ? process.argv[argSource + 1] : '/usr/share/datasets/fashion-mnist';
  const images = path.join(source, 'train-images-idx3-ubyte.gz');
  if (!fs.existsSync(images)) {
    throw new Error(`${images} not found: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)`);
  }
  const out = path.resolve(__dirname, '../examples/fashion-mnist');
  const backend = await initBackend('auto');
  console.log(`backend: ${backend.name}`);
  const all = await loadDataset({ path: images, labelsPath: path.join(source, 'train-labels-idx1-ubyte.gz') });
  const per = 784;
  const order = shuffledIndices(all.count, seededRandom(SEED));
  const take = (from: number, n: number) => {
    const idx = order.slice(from, from + n);
    const x = new Uint8Array(n * per);
    const y = new Uint8Array(n);
    idx.forEach((src, i) => {
      for (let k = 0; k < per; k++) x[i * per + k] = all.features[src * per + k];
      y[i] = all.labels[src];
    });
    return { x, y, n };
  };
  const members = take(0, MEMBERS);
  const nonMembers = take(MEMBERS, NON_MEMBERS);
  const population = take(MEMBERS + NON_MEMBERS, POPULATION);

  fs.mkdirSync(path.join(out, 'data'), { recursive: true });
  for (const [name, d] of Object.entries({ members, nonmembers: nonMembers, population })) {
    writeNpz(path.join(out, 'data', `${name}.npz`), { x: { data: d.x, shape: [d.n, 28, 28] }, y: { data: d.y, shape: [d.n] } });
  }

  // No regularisation and many epochs over few records: the target memorises its members.
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [per], units: 256, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: SEED }) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: SEED + 1 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const toTensor = (d: { x: Uint8Array; n: number }) => tf.tensor2d(Float32Array.from(d.x, (v) => v / 255), [d.n, per]);
  const xs = toTensor(members);
  const ys = tf.tensor1d(Float32Array.from(members.y));
  const started = Date.now();
  await model.fit(xs, ys, { epochs: EPOCHS, batchSize: 64, shuffle: true, verbose: 0 });
  const evalAcc = (d: typeof members) => {
    const x = toTensor(d);
    const pred = Array.from(tf.argMax(model.predict(x) as tf.Tensor, -1).dataSync());
    x.dispose();
    return pred.reduce((a, p, i) => a + (p === d.y[i] ? 1 : 0), 0) / d.n;
  };
  console.log(`trained ${EPOCHS} epochs in ${((Date.now() - started) / 1000).toFixed(1)} s: accuracy members ${evalAcc(members).toFixed(3)}, non-members ${evalAcc(nonMembers).toFixed(3)}`);
  await model.save(layersModelFileWriter(path.join(out, 'model')));
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
