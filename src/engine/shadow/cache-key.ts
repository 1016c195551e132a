/**
 * Cache keys of shadow models. A key covers everything that determines a shadow's
 * outputs: the records (audit and population features and labels), the architecture
 * and training config, the training settings (all but `count` and `workers`), the
 * shadow's index and seed, and the exact list of records it trains on.
 *
 * The training list matters because of the keep matrix: with Carlini's argsort
 * construction a shadow's IN records depend on how many shadows there are, so a shadow
 * cached under another `count` is reused only if it trained on the same records.
 */
import { createHash } from 'node:crypto';
import type { Architecture } from './architecture';
import type { OptimizerSpec } from './optimizer';
import type { RecordStore } from './record-store';

/** Bump when a change to training or scoring changes what a shadow outputs. */
export const SHADOW_FORMAT_VERSION = 1;

/** SHA-256 of the records, labels and their shape (hex). */
export function recordsDigest(store: RecordStore, numClasses: number): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ featureShape: store.featureShape, audit: store.auditCount, population: store.populationCount, numClasses }));
  hash.update(new Uint8Array(store.features.buffer, store.features.byteOffset, store.features.byteLength));
  hash.update(new Uint8Array(store.labels.buffer, store.labels.byteOffset, store.labels.byteLength));
  return hash.digest('hex');
}

export interface KeyedSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: string;
  seed: number;
  trainSize: number;
  queries: string[];
}

/** What every shadow of one run shares in its key (hashed once). */
export function runDigest(records: string, architecture: Architecture, settings: KeyedSettings, optimizer: OptimizerSpec): string {
  return createHash('sha256')
    .update(JSON.stringify({
      version: SHADOW_FORMAT_VERSION,
      records,
      topology: architecture.topology,
      trainingConfig: architecture.trainingConfig ?? null,
      settings,
      optimizer,
    }))
    .digest('hex');
}

export function shadowKey(run: string, shadow: number, seed: number, trainingSet: Int32Array): string {
  return createHash('sha256')
    .update(JSON.stringify({ run, shadow, seed }))
    .update(new Uint8Array(trainingSet.buffer, trainingSet.byteOffset, trainingSet.byteLength))
    .digest('hex');
}
