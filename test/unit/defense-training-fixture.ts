/**
 * Shared by the defense-training and dp-sgd tests: the overfit workspace's records and
 * model (random labels, so a plainly retrained model can only memorise its members),
 * the suite set-up, a request builder, and helpers to read a defended model's weights
 * from the cache.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { after, before } from 'node:test';
import type { Dataset } from '../../src/engine/artifacts/dataset';
import { loadDataset } from '../../src/engine/artifacts/datasets';
import { readLayersModelArtifacts } from '../../src/engine/artifacts/models/tfjs-layers-files';
import type { Classifier } from '../../src/engine/artifacts/models';
import { initBackend } from '../../src/engine/backend';
import type { DefendedTrainingRequest, TrainingDefenseName, RetrainSettings } from '../../src/engine/defenses/training';
import { overfitWorkspace } from '../helpers/overfit-workspace';

export interface OverfitData {
  modelFile: string;
  members: Dataset;
  nonMembers: Dataset;
  reference: Dataset;
}

export async function overfitData(): Promise<OverfitData> {
  const { dir } = await overfitWorkspace();
  const load = (file: string) => loadDataset({ path: path.join(dir, file), label: 'label' });
  return { modelFile: path.join(dir, 'model', 'model.json'), members: await load('train.csv'), nonMembers: await load('test.csv'), reference: await load('population.csv') };
}

/**
 * Call inside a describe: before its tests, starts the backend and hands the overfit data
 * to `use`; after them, removes the temporary folders.
 */
export function withOverfitData(use: (data: OverfitData) => void): void {
  before(async () => {
    await initBackend('auto');
    use(await overfitData());
  });
  after(removeTemporaryDirs);
}

export const TRAIN: RetrainSettings = { epochs: 40, batchSize: 32, learningRate: 0.01, optimizer: 'adam', seed: 7 };

const temporaryDirs: string[] = [];

/** A fresh temporary folder, removed by removeTemporaryDirs. */
export function temporaryDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}

export function removeTemporaryDirs(): void {
  for (const dir of temporaryDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function request(data: OverfitData, name: TrainingDefenseName, params: Record<string, number> = {}, train: Partial<RetrainSettings> = {}): DefendedTrainingRequest {
  return {
    architectureFile: data.modelFile,
    targetModelFile: data.modelFile,
    members: data.members,
    reference: data.reference,
    numClasses: 3,
    defense: { name, params, train: { ...TRAIN, ...train } },
    cacheDir: temporaryDir('mpl-defended-'),
    workers: 0,
  };
}

/** The one cache entry in `cacheDir`. */
export function entryOf(cacheDir: string): string {
  const entries = fs.readdirSync(cacheDir).filter((n) => /^defended-[0-9a-f]{64}$/.test(n));
  if (entries.length !== 1) throw new Error(`expected one defended entry in ${cacheDir}, found ${entries.join(', ')}`);
  return path.join(cacheDir, entries[0]);
}

export async function loadCachedModel(cacheDir: string, index = 0): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory(readLayersModelArtifacts(path.join(entryOf(cacheDir), `model-${index}`, 'model.json'))));
}

export async function probabilities(classifier: Classifier, data: Dataset): Promise<Float32Array> {
  return classifier.predictProbabilities(data.features, data.featureShape, data.count);
}

export interface Summary {
  accuracy: number;
  meanMaxConfidence: number;
  meanLoss: number;
  meanEntropy: number;
}

export function summarise(p: Float32Array, data: Dataset, classes = 3): Summary {
  let correct = 0;
  let maxSum = 0;
  let loss = 0;
  let entropy = 0;
  for (let i = 0; i < data.count; i++) {
    const row = p.subarray(i * classes, (i + 1) * classes);
    let arg = 0;
    for (let k = 1; k < classes; k++) if (row[k] > row[arg]) arg = k;
    if (arg === data.labels[i]) correct++;
    maxSum += row[arg];
    loss -= Math.log(Math.max(row[data.labels[i]], 1e-7));
    for (let k = 0; k < classes; k++) if (row[k] > 0) entropy -= row[k] * Math.log(row[k]);
  }
  return { accuracy: correct / data.count, meanMaxConfidence: maxSum / data.count, meanLoss: loss / data.count, meanEntropy: entropy / data.count };
}

export function kernelNorm(model: tfl.LayersModel): number {
  return Math.sqrt(model.trainableWeights.filter((w) => /kernel$/.test(w.originalName))
    .reduce((s, w) => s + (w.read().dataSync() as Float32Array).reduce((t, v) => t + v * v, 0), 0));
}
