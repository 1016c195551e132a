/**
 * All records a shadow run touches (audit records, then population records) in one
 * pair of arrays backed by SharedArrayBuffers, so every worker thread reads the same
 * memory instead of holding its own copy.
 */
import type { Dataset } from '../artifacts/dataset';
import { recordSize } from '../artifacts/dataset';

export interface RecordStore {
  /** Shape of one record, e.g. [28, 28] or [784]. */
  featureShape: number[];
  /** Values per record. */
  size: number;
  auditCount: number;
  populationCount: number;
  /** (auditCount + populationCount) x size. */
  features: Float32Array;
  labels: Int32Array;
}

export function buildRecordStore(audit: Dataset, population: Dataset | undefined): RecordStore {
  const size = recordSize(audit.featureShape);
  const populationCount = population?.count ?? 0;
  const total = audit.count + populationCount;
  const features = new Float32Array(new SharedArrayBuffer(total * size * 4));
  const labels = new Int32Array(new SharedArrayBuffer(total * 4));
  features.set(audit.features.subarray(0, audit.count * size));
  labels.set(audit.labels.subarray(0, audit.count));
  if (population !== undefined) {
    features.set(population.features.subarray(0, populationCount * size), audit.count * size);
    labels.set(population.labels.subarray(0, populationCount), audit.count);
  }
  return { featureShape: [...audit.featureShape], size, auditCount: audit.count, populationCount, features, labels };
}

/** Copies the features of `indices` into `out` (row after row) and returns it. */
export function gatherFeatures(store: RecordStore, indices: ArrayLike<number>, out: Float32Array, offset = 0): Float32Array {
  const { size, features } = store;
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    out.set(features.subarray(r * size, (r + 1) * size), offset + i * size);
  }
  return out;
}
