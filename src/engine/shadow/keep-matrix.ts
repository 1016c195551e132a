/**
 * Which shadow trains on which audit record (Carlini et al., LiRA reference code): for
 * every record draw one uniform value per shadow, rank the shadows by it, and put the
 * record IN the shadows ranked below half. Every record is then IN for exactly
 * floor(shadows / 2) shadows and OUT for the rest, so every record has IN and OUT
 * shadows to compare; each shadow holds about half the records.
 */
import { deriveSeed, makeRandom } from './random';

/** records x shadows, row-major: keep[r * shadows + s] = 1 when shadow s trains on record r. */
export function keepMatrix(records: number, shadows: number, seed: number): Uint8Array {
  if (!Number.isInteger(records) || records < 0) throw new RangeError(`records must be a non-negative integer, got ${records}`);
  if (!Number.isInteger(shadows) || shadows < 1) throw new RangeError(`shadows must be a positive integer, got ${shadows}`);
  const random = makeRandom(deriveSeed(seed, 'keep'));
  const keep = new Uint8Array(records * shadows);
  const inCount = Math.floor(shadows / 2);
  const draws = new Float64Array(shadows);
  const order = Array.from({ length: shadows }, (_, s) => s);
  for (let r = 0; r < records; r++) {
    for (let s = 0; s < shadows; s++) draws[s] = random();
    order.sort((a, b) => draws[a] - draws[b] || a - b);
    for (let rank = 0; rank < inCount; rank++) keep[r * shadows + order[rank]] = 1;
  }
  return keep;
}

/** Number of records each shadow trains on (column sums). */
export function inCounts(keep: Uint8Array, records: number, shadows: number): Int32Array {
  const counts = new Int32Array(shadows);
  for (let r = 0; r < records; r++) {
    for (let s = 0; s < shadows; s++) counts[s] += keep[r * shadows + s];
  }
  return counts;
}
