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

/** Stores laid out by sharedAuditRecords, under the audit features that view them. */
const reserved = new WeakMap<Float32Array, { store: RecordStore; filledWith?: Float32Array }>();

/**
 * Members then non-members as one Dataset (what concatDatasets gives) whose values already
 * sit where a record store puts them, in shared memory with room for `populationCount`
 * population records after them (untouched pages, so no memory until filled):
 * buildRecordStore on it then copies only the population, and an audit holds its records
 * once fewer (at CIFAR-10 size 50,000 x 3,072 floats, 586 MiB).
 */
export function sharedAuditRecords(members: Dataset, nonMembers: Dataset, populationCount: number): Dataset {
  const size = recordSize(members.featureShape);
  const auditCount = members.count + nonMembers.count;
  const total = auditCount + populationCount;
  const features = new Float32Array(new SharedArrayBuffer(total * size * 4));
  const labels = new Int32Array(new SharedArrayBuffer(total * 4));
  features.set(members.features.subarray(0, members.count * size));
  features.set(nonMembers.features.subarray(0, nonMembers.count * size), members.count * size);
  labels.set(members.labels.subarray(0, members.count));
  labels.set(nonMembers.labels.subarray(0, nonMembers.count), members.count);
  const audit: Dataset = {
    source: members.source, count: auditCount, featureShape: members.featureShape,
    features: features.subarray(0, auditCount * size), labels: labels.subarray(0, auditCount),
  };
  reserved.set(audit.features, { store: { featureShape: [...members.featureShape], size, auditCount, populationCount, features, labels } });
  return audit;
}

export function buildRecordStore(audit: Dataset, population: Dataset | undefined): RecordStore {
  const prepared = reserved.get(audit.features);
  if (prepared !== undefined && prepared.store.auditCount === audit.count && prepared.store.populationCount === (population?.count ?? 0)
    && (prepared.filledWith === undefined || prepared.filledWith === population?.features)) {
    const { store } = prepared;
    if (population !== undefined && prepared.filledWith === undefined) {
      // Once per population: a second population of the same size gets a store of its own (below).
      store.features.set(population.features.subarray(0, population.count * store.size), audit.count * store.size);
      store.labels.set(population.labels.subarray(0, population.count), audit.count);
      prepared.filledWith = population.features;
    }
    return store;
  }
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
