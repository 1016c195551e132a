/**
 * Scores trained shadows on the records the attacks need: every audit record under
 * every query variant, and every population record as it is (identity only).
 */
import { augmentRecords, type QueryVariant } from '../attacks/augmentations';
import type { RecordStore } from './record-store';

/** Class probabilities of `count` rows of `features` under each shadow being scored. */
export type PredictFn = (features: Float32Array, count: number) => Float32Array[];

export interface ShadowScores {
  /** Per shadow: auditCount x queries x numClasses. */
  audit: Float32Array[];
  /** Per shadow: populationCount x numClasses (undefined without population). */
  population?: Float32Array[];
}

/** Rows per predict call: bounds memory for the augmented copies. */
const ROWS_PER_CALL = 2048;

export function scoreShadows(
  store: RecordStore,
  variants: readonly QueryVariant[],
  numClasses: number,
  shadows: number,
  predict: PredictFn,
  throwIfStopped: () => void,
): ShadowScores {
  const Q = variants.length;
  const C = numClasses;
  const audit = Array.from({ length: shadows }, () => new Float32Array(store.auditCount * Q * C));
  const recordsPerCall = Math.max(1, Math.floor(ROWS_PER_CALL / Q));
  const augmented = new Float32Array(recordsPerCall * Q * store.size);
  for (let first = 0; first < store.auditCount; first += recordsPerCall) {
    throwIfStopped();
    const n = Math.min(recordsPerCall, store.auditCount - first);
    augmentRecords(store.features, store.featureShape, first, n, variants, augmented);
    const probabilities = predict(augmented, n * Q);
    for (let s = 0; s < shadows; s++) audit[s].set(probabilities[s].subarray(0, n * Q * C), first * Q * C);
  }
  if (store.populationCount === 0) return { audit };

  const population = Array.from({ length: shadows }, () => new Float32Array(store.populationCount * C));
  for (let first = 0; first < store.populationCount; first += ROWS_PER_CALL) {
    throwIfStopped();
    const n = Math.min(ROWS_PER_CALL, store.populationCount - first);
    const start = (store.auditCount + first) * store.size;
    const probabilities = predict(store.features.subarray(start, start + n * store.size), n);
    for (let s = 0; s < shadows; s++) population[s].set(probabilities[s].subarray(0, n * C), first * C);
  }
  return { audit, population };
}
