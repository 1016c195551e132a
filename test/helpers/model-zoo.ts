/**
 * A workspace of many tiny models, for sweeps (test/unit/sweep.test.ts, bench/sweep.ts):
 * each model gets its own folder with an MLP 8-32-3 (untrained, its own seeded random
 * weights, saved as TF.js layers files), member and non-member CSVs of seeded random
 * records labelled with the model's own predictions (so its accuracy is plausible and the
 * audit's input checks let it through), and a privacy-audit.json with threshold attacks (and, with `shadows`, LiRA on
 * that many shadow models). Small enough that one audit takes well under a second.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, type BackendPreference } from '../../src/engine/backend';
import { layersModelFileWriter } from '../../src/engine/artifacts/models/tfjs-layers-files';

export const ZOO_FEATURES = 8;
export const ZOO_CLASSES = 3;
export const ZOO_ATTACKS = ['loss-threshold', 'confidence-threshold', 'entropy-threshold'] as const;

export interface ModelZooOptions {
  models: number;
  /** Records in each of the member and non-member files. */
  rows?: number;
  /** LiRA (offline) on this many shadow models per audit; 0 = threshold attacks only. */
  shadows?: number;
  /** Folder names the model folders are put under, relative to the root (default: the root itself). */
  subfolder?: (index: number) => string;
  backend?: BackendPreference;
}

/** Name of the folder of model `index`, as the zoo writes it. */
export function zooModelName(index: number): string {
  return `model-${String(index).padStart(2, '0')}`;
}

function writeCsv(file: string, rows: number, seed: number, model: tfl.Sequential): void {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const records = Array.from({ length: rows }, () => Array.from({ length: ZOO_FEATURES }, () => (rand() * 2 - 1).toFixed(5)));
  // The untrained model's own answers as labels: an untrained model on random labels is at chance, which the audit refuses.
  const labels = tf.tidy(() => tf.argMax(model.predict(tf.tensor2d(records.map((r) => r.map(Number)))) as tf.Tensor, -1).dataSync());
  const lines = [[...Array.from({ length: ZOO_FEATURES }, (_, i) => `f${i}`), 'label'].join(',')];
  records.forEach((r, i) => lines.push([...r, labels[i]].join(',')));
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

/** Writes the zoo under `root`; returns the absolute manifest paths in model order. */
export async function buildModelZoo(root: string, options: ModelZooOptions): Promise<string[]> {
  const { models, rows = 200, shadows = 0, subfolder = () => '' } = options;
  await initBackend(options.backend ?? 'auto');
  const manifests: string[] = [];
  for (let m = 0; m < models; m++) {
    const dir = path.join(root, subfolder(m), zooModelName(m));
    fs.mkdirSync(dir, { recursive: true });
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [ZOO_FEATURES], units: 32, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: m + 1 }) }),
        tfl.layers.dense({ units: ZOO_CLASSES, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1000 + m }) }),
      ],
    });
    await model.save(layersModelFileWriter(path.join(dir, 'model')));
    writeCsv(path.join(dir, 'train.csv'), rows, 2 * m + 1, model);
    writeCsv(path.join(dir, 'test.csv'), rows, 2 * m + 2, model);
    model.dispose();
    const manifest = path.join(dir, 'privacy-audit.json');
    fs.writeFileSync(manifest, JSON.stringify({
      version: 1,
      audits: [{
        name: zooModelName(m), model: 'model/model.json', members: 'train.csv', nonMembers: 'test.csv', label: 'label',
        attacks: [...ZOO_ATTACKS, ...(shadows > 0 ? ['lira-offline'] : [])],
        ...(shadows > 0 ? { shadow: { count: shadows, epochs: 2, trainSize: Math.floor(rows * 0.75) } } : {}),
        policy: { rules: [{ metric: 'auc', max: 0.6, severity: 'high' }] },
      }],
    }, null, 2));
    manifests.push(manifest);
  }
  return manifests;
}
