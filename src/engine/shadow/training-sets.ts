/**
 * The training set of each shadow model.
 *
 * Rule: shadow s trains on every audit record the keep matrix puts IN it, and, when
 * that is fewer than `trainSize` records, on a seeded random sample of population
 * records (without replacement, independent per shadow) filling it up to exactly
 * `trainSize`. A shadow never drops an IN record (that would make the keep matrix lie),
 * so a shadow with more IN records than `trainSize` trains on all of them.
 *
 * Records are numbered in one index space: audit record r is r, population record p is
 * auditCount + p (the layout of the shared record store the workers read).
 */
import { deriveSeed, makeRandom } from './random';

export interface TrainingSets {
  /** Per shadow, sorted record indices in the combined index space. */
  members: Int32Array[];
  /** population.count x shadows: 1 when the shadow trains on that population record. */
  populationKeep: Uint8Array;
}

/** Population records shadow s needs to reach trainSize. */
export function populationFill(inCount: number, trainSize: number): number {
  return Math.max(0, trainSize - inCount);
}

export function buildTrainingSets(
  keep: Uint8Array,
  auditCount: number,
  populationCount: number,
  shadows: number,
  trainSize: number,
  seed: number,
): TrainingSets {
  const members: Int32Array[] = [];
  const populationKeep = new Uint8Array(populationCount * shadows);
  const pool = new Int32Array(populationCount);
  for (let s = 0; s < shadows; s++) {
    const chosen: number[] = [];
    for (let r = 0; r < auditCount; r++) if (keep[r * shadows + s] === 1) chosen.push(r);
    const fill = populationFill(chosen.length, trainSize);
    if (fill > populationCount) {
      throw new RangeError(`shadow ${s} needs ${fill} population records to reach ${trainSize}, only ${populationCount} exist`);
    }
    // Partial Fisher-Yates: the first `fill` entries of a seeded shuffle.
    const random = makeRandom(deriveSeed(seed, 'population-fill', s));
    for (let p = 0; p < populationCount; p++) pool[p] = p;
    for (let i = 0; i < fill; i++) {
      const j = i + Math.floor(random() * (populationCount - i));
      const t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
      populationKeep[pool[i] * shadows + s] = 1;
    }
    const picked = Array.from(pool.subarray(0, fill)).sort((a, b) => a - b);
    for (const p of picked) chosen.push(auditCount + p);
    members.push(Int32Array.from(chosen));
  }
  return { members, populationKeep };
}
