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

/**
 * One predict call's worth of rows: `rows` rows of `features` (audit records under every
 * query variant, or plain population records), whose probabilities go to `offset`
 * (in values) of the shadow's audit or population array.
 */
export interface ScoringChunk {
  part: 'audit' | 'population';
  features: Float32Array;
  rows: number;
  offset: number;
}

/** The predict calls that score shadows on a store: audit records (augmented) first, then the population. */
export function* scoringChunks(store: RecordStore, variants: readonly QueryVariant[], numClasses: number): Generator<ScoringChunk> {
  const Q = variants.length;
  const C = numClasses;
  const recordsPerCall = Math.max(1, Math.floor(ROWS_PER_CALL / Q));
  const augmented = new Float32Array(recordsPerCall * Q * store.size);
  for (let first = 0; first < store.auditCount; first += recordsPerCall) {
    const n = Math.min(recordsPerCall, store.auditCount - first);
    augmentRecords(store.features, store.featureShape, first, n, variants, augmented);
    yield { part: 'audit', features: augmented.subarray(0, n * Q * store.size), rows: n * Q, offset: first * Q * C };
  }
  for (let first = 0; first < store.populationCount; first += ROWS_PER_CALL) {
    const n = Math.min(ROWS_PER_CALL, store.populationCount - first);
    const start = (store.auditCount + first) * store.size;
    yield { part: 'population', features: store.features.subarray(start, start + n * store.size), rows: n, offset: first * C };
  }
}

/** Empty score arrays for `shadows` shadows (population only when the store has one). */
export function emptyScores(store: RecordStore, queries: number, numClasses: number, shadows: number): ShadowScores {
  const audit = Array.from({ length: shadows }, () => new Float32Array(store.auditCount * queries * numClasses));
  if (store.populationCount === 0) return { audit };
  return { audit, population: Array.from({ length: shadows }, () => new Float32Array(store.populationCount * numClasses)) };
}

export function scoreShadows(
  store: RecordStore,
  variants: readonly QueryVariant[],
  numClasses: number,
  shadows: number,
  predict: PredictFn,
  throwIfStopped: () => void,
): ShadowScores {
  const scores = emptyScores(store, variants.length, numClasses, shadows);
  for (const chunk of scoringChunks(store, variants, numClasses)) {
    throwIfStopped();
    const probabilities = predict(chunk.features, chunk.rows);
    const into = chunk.part === 'audit' ? scores.audit : scores.population!;
    for (let s = 0; s < shadows; s++) into[s].set(probabilities[s].subarray(0, chunk.rows * numClasses), chunk.offset);
  }
  return scores;
}
