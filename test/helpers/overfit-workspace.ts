/**
 * Builds, in a temp folder, a workspace with a model that is known to overfit: a small
 * MLP trained for many epochs on records with random labels, so it can only fit its
 * members by memorising them. Non-members come from the same distribution. Attacks on
 * it must succeed clearly; that is the point of the fixture. Seeded initialisers and no
 * shuffling make it the same model on every machine, so tests do not pass by luck.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { layersModelFileWriter } from '../../src/engine/artifacts/models/tfjs-layers-files';

export interface OverfitWorkspace {
  dir: string;
  manifest: string;
}

const FEATURES = 8;
const CLASSES = 3;

function randomRows(n: number, seed: number): { x: number[][]; y: number[] } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const x = Array.from({ length: n }, () => Array.from({ length: FEATURES }, () => rand() * 2 - 1));
  const y = Array.from({ length: n }, () => Math.floor(rand() * CLASSES));
  return { x, y };
}

function writeCsv(file: string, rows: { x: number[][]; y: number[] }): void {
  const header = [...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',');
  const lines = rows.x.map((r, i) => [...r.map((v) => v.toFixed(6)), rows.y[i]].join(','));
  fs.writeFileSync(file, [header, ...lines].join('\n') + '\n');
}

let cached: Promise<OverfitWorkspace> | undefined;

export function overfitWorkspace(): Promise<OverfitWorkspace> {
  cached ??= build();
  return cached;
}

async function build(): Promise<OverfitWorkspace> {
  await initBackend('auto');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-overfit-'));
  const members = randomRows(150, 1);
  const nonMembers = randomRows(150, 2);
  const population = randomRows(300, 3);
  writeCsv(path.join(dir, 'train.csv'), members);
  writeCsv(path.join(dir, 'test.csv'), nonMembers);
  writeCsv(path.join(dir, 'population.csv'), population);
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [FEATURES], units: 64, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 11 }) }),
      tfl.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 12 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
  const xs = tf.tensor2d(members.x);
  const ys = tf.tensor1d(members.y, 'float32');
  await model.fit(xs, ys, { epochs: 150, batchSize: 32, verbose: 0, shuffle: false });
  xs.dispose();
  ys.dispose();
  await model.save(layersModelFileWriter(path.join(dir, 'model')));
  model.dispose();
  const manifest = path.join(dir, 'privacy-audit.json');
  fs.writeFileSync(manifest, JSON.stringify({
    version: 1,
    audits: [{
      name: 'overfit-mlp',
      model: 'model/model.json',
      members: 'train.csv',
      nonMembers: 'test.csv',
      population: 'population.csv',
      label: 'label',
      attacks: ['loss-threshold', 'confidence-threshold', 'entropy-threshold', 'modified-entropy-threshold', 'lira-statistic-threshold', 'loss-threshold-per-class', 'loss-population'],
      policy: { rules: [{ metric: 'auc', max: 0.6, severity: 'high' }, { metric: 'tprAtFpr', fpr: 0.01, max: 0.01, severity: 'medium' }] },
    }],
  }, null, 2));
  return { dir, manifest };
}
