/**
 * RMIA (Zarifzadeh et al., "Low-Cost High-Power Membership Inference Attacks", ICML 2024).
 *
 * score(x) = fraction of population records z with LR(x, z) > gamma, where
 *   LR(x, z) = [Pr(x|theta) / Pr(x)] / [Pr(z|theta) / Pr(z)],
 * Pr(.|theta) the target model's probability of the true label and Pr(.) its mean over
 * reference models. Online, Pr is the mean over all reference models (about half of them
 * trained on each audit record). Offline, only OUT models exist, and the paper
 * approximates the missing IN half linearly: Pr(x) = ((1 + a) Pr_out(x) + (1 - a)) / 2.
 * As in the authors' code (privacy_meter run_rmia) the same approximation is applied to
 * the population records' Pr(z), and the comparison is strict (> gamma).
 *
 * Defaults: a = 0.3, the default of the authors' code (the paper tunes a per dataset by
 * attacking one reference model with the others; pass the tuned value when known);
 * gamma = 1, the threshold the authors' offline code hard-codes.
 */

/** Probabilities below this are raised to it, as the signals are: float32 softmax outputs underflow to 0. */
const MIN_PROBABILITY = 1e-30;

export const RMIA_DEFAULT_OFFLINE_A = 0.3;
export const RMIA_DEFAULT_GAMMA = 1;

export interface RmiaInput {
  /** Target model's probability of the true label, per audit record. */
  targetProb: Float64Array;
  /** records x references, row-major: each reference model's probability of the true label. */
  referenceProb: Float64Array;
  /** The same for the population records z. */
  populationTargetProb: Float64Array;
  /** population x references, row-major. */
  populationReferenceProb: Float64Array;
  references: number;
  /**
   * records x references, 1 when the reference model trained on the audit record. Offline,
   * those models are left out of Pr_out(x); without keep every reference model counts as
   * OUT. Online ignores it (Pr(x) averages all models).
   */
  keep?: Uint8Array;
}

export interface RmiaOptions {
  mode: 'offline' | 'online';
  /** Offline mixing parameter a in [0, 1]. */
  offlineA: number;
  /** Likelihood-ratio threshold, > 0. */
  gamma: number;
}

export function rmiaScores(input: RmiaInput, options: RmiaOptions): Float64Array {
  const { references, keep } = input;
  const mode = options.mode;
  const records = input.targetProb.length;
  const population = input.populationTargetProb.length;
  if (!(references >= 1 && population >= 1)) throw new RangeError(`RMIA: need reference models and population records, got ${references} and ${population}`);
  if (input.referenceProb.length !== records * references || input.populationReferenceProb.length !== population * references) {
    throw new Error(`RMIA: reference probabilities do not match ${records} records / ${population} population records x ${references} reference models`);
  }
  if (keep && keep.length !== records * references) throw new Error(`RMIA: keep has ${keep.length} values, expected ${records} x ${references}`);
  if (!(options.offlineA >= 0 && options.offlineA <= 1)) throw new RangeError(`RMIA: offline a must be in [0, 1], got ${options.offlineA}`);
  if (!(options.gamma > 0 && Number.isFinite(options.gamma))) throw new RangeError(`RMIA: gamma must be positive, got ${options.gamma}`);

  const marginal = (referenceMean: number) =>
    mode === 'online' ? referenceMean : 0.5 * ((1 + options.offlineA) * referenceMean + (1 - options.offlineA));

  const populationRatios = new Float64Array(population);
  for (let z = 0; z < population; z++) {
    const prZ = marginal(referenceMean(input.populationReferenceProb, z, references, undefined));
    populationRatios[z] = clamp(input.populationTargetProb[z]) / prZ;
  }
  populationRatios.sort();

  const scores = new Float64Array(records);
  for (let x = 0; x < records; x++) {
    const prX = marginal(referenceMean(input.referenceProb, x, references, mode === 'offline' ? keep : undefined));
    const ratioX = clamp(input.targetProb[x]) / prX;
    scores[x] = countLikelihoodRatiosAbove(ratioX, populationRatios, options.gamma) / population;
  }
  return scores;
}

/** Mean of a row's clamped probabilities over the reference models not marked in `exclude`. */
function referenceMean(probs: Float64Array, row: number, references: number, exclude: Uint8Array | undefined): number {
  let sum = 0;
  let count = 0;
  for (let m = 0; m < references; m++) {
    if (exclude && exclude[row * references + m]) continue;
    sum += clamp(probs[row * references + m]);
    count++;
  }
  if (count === 0) throw new Error(`RMIA: record ${row} has no OUT reference model`);
  return sum / count;
}

/**
 * #{z : ratioX / ratioZ > gamma} by binary search over the sorted ratios. Rounded division
 * by a larger positive number never gives a larger result, so the predicate is monotone and
 * the count equals the one from testing each z, floating-point rounding included.
 */
function countLikelihoodRatiosAbove(ratioX: number, sortedRatios: Float64Array, gamma: number): number {
  let lo = 0;
  let hi = sortedRatios.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ratioX / sortedRatios[mid] > gamma) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function clamp(p: number): number {
  return Math.max(MIN_PROBABILITY, p);
}
