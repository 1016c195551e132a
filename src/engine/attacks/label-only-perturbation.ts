/**
 * Distance to the decision boundary from predicted labels alone, for the label-only
 * boundary attack (Choquette-Choo et al. 2021). Their strongest variant runs HopSkipJump
 * per record, thousands of queries each; this is a bounded "lite" search instead:
 *
 * - `directions` random Gaussian directions, scaled per feature by the feature's standard
 *   deviation, are shared by all records (common random numbers: a record's distance does
 *   not depend on the other records);
 * - along each direction u, an upward scan over the radii maxRadius / 2^k (k = levels-1 ... 0)
 *   finds the first radius t at which label(x + t u) differs from the true label, then
 *   `refinements` bisection steps narrow the bracket (assuming a single crossing within it);
 * - a record's distance is the smallest over directions: the closest boundary found.
 *
 * t is in units of feature standard deviations of noise (t = 1: each feature moved by about
 * one standard deviation). Records the model already misclassifies are at distance 0; rays
 * that never flip within maxRadius are censored at CENSORED_RADIUS_FACTOR x maxRadius.
 * Query budget: 1 + directions x (levels + refinements) per record at most.
 */
import { gaussianRandom } from '../random';

/** Labels predicted for `count` records laid out one after another. */
export type LabelQuery = (features: Float32Array, count: number) => Promise<Int32Array>;

export interface BoundarySearchOptions {
  directions: number;
  maxRadius: number;
  levels: number;
  refinements: number;
  /** Records searched together; each step queries up to chunkRecords x directions rows. */
  chunkRecords: number;
}

/** Distance given to rays that never flip: beyond every radius searched. */
export const CENSORED_RADIUS_FACTOR = 2;

export interface BoundarySearchResult {
  /** One distance per record: the smallest over its directions. */
  distances: Float64Array;
  /** records x directions: where each ray crossed the boundary. */
  rayRadii: Float64Array;
  queries: number;
  /** Correctly classified records none of whose rays flipped within maxRadius. */
  censoredRecords: number;
}

/** `count` direction vectors of `featureScale.length` values, each feature scaled by its spread. */
export function boundaryDirections(count: number, featureScale: Float64Array, seed: number): Float32Array {
  const size = featureScale.length;
  const normal = gaussianRandom(seed);
  const out = new Float32Array(count * size);
  for (let d = 0; d < count; d++) {
    for (let j = 0; j < size; j++) out[d * size + j] = normal() * featureScale[j];
  }
  return out;
}

export function queryBudgetPerRecord(options: BoundarySearchOptions): number {
  return 1 + options.directions * (options.levels + options.refinements);
}

export async function boundaryDistances(
  query: LabelQuery,
  features: Float32Array,
  labels: Int32Array,
  directionBank: Float32Array,
  options: BoundarySearchOptions,
): Promise<BoundarySearchResult> {
  const records = labels.length;
  const size = features.length / records;
  const directions = options.directions;
  if (directionBank.length !== directions * size) {
    throw new Error(`expected ${directions} directions of ${size} values, got ${directionBank.length} values`);
  }
  const censored = CENSORED_RADIUS_FACTOR * options.maxRadius;
  const rayRadii = new Float64Array(records * directions);
  const distances = new Float64Array(records);
  let queries = 0;
  let censoredRecords = 0;

  for (let start = 0; start < records; start += options.chunkRecords) {
    const count = Math.min(options.chunkRecords, records - start);
    const chunk = features.subarray(start * size, (start + count) * size);
    const predicted = await query(chunk, count);
    queries += count;
    const rays: number[] = [];
    for (let r = 0; r < count; r++) {
      if (predicted[r] === labels[start + r]) for (let d = 0; d < directions; d++) rays.push(r * directions + d);
    }
    const lo = new Float64Array(count * directions);
    const hi = new Float64Array(count * directions).fill(Infinity);
    const batch = new Float32Array(rays.length * size);

    // Flipped flags for `active` rays, each moved to radius radiusOf(ray).
    const flips = async (active: number[], radiusOf: (ray: number) => number): Promise<boolean[]> => {
      active.forEach((ray, i) => {
        const r = Math.floor(ray / directions);
        const direction = directionBank.subarray((ray % directions) * size, (ray % directions + 1) * size);
        const radius = radiusOf(ray);
        const row = i * size;
        const base = r * size;
        for (let j = 0; j < size; j++) batch[row + j] = chunk[base + j] + radius * direction[j];
      });
      const got = await query(batch.subarray(0, active.length * size), active.length);
      queries += active.length;
      return active.map((ray, i) => got[i] !== labels[start + Math.floor(ray / directions)]);
    };

    let active = rays;
    for (let level = 0; level < options.levels && active.length > 0; level++) {
      const radius = options.maxRadius / 2 ** (options.levels - 1 - level);
      const flipped = await flips(active, () => radius);
      const still: number[] = [];
      active.forEach((ray, i) => {
        if (flipped[i]) hi[ray] = radius;
        else {
          lo[ray] = radius;
          still.push(ray);
        }
      });
      active = still;
    }
    const bracketed = rays.filter((ray) => hi[ray] !== Infinity);
    for (let step = 0; step < options.refinements && bracketed.length > 0; step++) {
      const flipped = await flips(bracketed, (ray) => 0.5 * (lo[ray] + hi[ray]));
      bracketed.forEach((ray, i) => {
        const mid = 0.5 * (lo[ray] + hi[ray]);
        if (flipped[i]) hi[ray] = mid;
        else lo[ray] = mid;
      });
    }

    for (let r = 0; r < count; r++) {
      const record = start + r;
      if (predicted[r] !== labels[record]) continue; // misclassified: distance 0, rays 0
      let nearest = Infinity;
      for (let d = 0; d < directions; d++) {
        const ray = r * directions + d;
        const radius = hi[ray] === Infinity ? censored : 0.5 * (lo[ray] + hi[ray]);
        rayRadii[record * directions + d] = radius;
        nearest = Math.min(nearest, radius);
      }
      distances[record] = nearest;
      if (nearest === censored) censoredRecords++;
    }
  }
  return { distances, rayRadii, queries, censoredRecords };
}
