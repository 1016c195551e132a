/**
 * The data reference-model attacks (LiRA, difficulty calibration) share: one statistic per
 * record (and per query) on the target model and on every shadow model, plus which shadows
 * trained on which record; and the float64 summaries and normal-distribution terms they use.
 */
import { identityCorrect as identityCorrectOf } from './signals';

/**
 * Statistics of a target model and of its shadow (reference) models, flattened row-major.
 * A "query" is one augmentation of a record (the paper's mirror/shift queries); a plain
 * evaluation is queries = 1.
 */
export interface ShadowSignals {
  records: number;
  shadows: number;
  queries: number;
  /** records x queries: target[r * queries + q]. */
  target: Float64Array;
  /** records x shadows x queries: shadow[(r * shadows + s) * queries + q]. */
  shadow: Float64Array;
  /** records x shadows, 1 when shadow s trained on record r (IN), 0 when not (OUT). */
  keep?: Uint8Array;
}

/** How many shadows trained on the record (its IN count). */
export function countKept(keep: Uint8Array, record: number, shadows: number): number {
  let n = 0;
  for (let s = 0; s < shadows; s++) if (keep[record * shadows + s]) n++;
  return n;
}

/**
 * Added to every standard deviation before dividing by it, as Carlini et al.'s reference
 * code does (std + 1e-30): a record whose shadow statistics are all equal then gets an
 * extreme but finite score instead of a division by zero.
 */
export const SIGMA_EPSILON = 1e-30;

/** Median of values[0..count), reordering them in place (callers pass scratch buffers). */
export function medianInPlace(values: Float64Array, count: number): number {
  if (count < 1) throw new RangeError('median of an empty set');
  const sorted = values.subarray(0, count).sort();
  const mid = count >> 1;
  return count % 2 === 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
}

export function mean(values: Float64Array, count: number): number {
  if (count < 1) throw new RangeError('mean of an empty set');
  let sum = 0;
  for (let i = 0; i < count; i++) sum += values[i];
  return sum / count;
}

/** Population standard deviation (ddof 0) of values[0..count), two-pass for accuracy. */
export function standardDeviation(values: Float64Array, count: number): number {
  const m = mean(values, count);
  let squares = 0;
  for (let i = 0; i < count; i++) {
    const d = values[i] - m;
    squares += d * d;
  }
  return Math.sqrt(squares / count);
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log of the normal density N(x; mu, sigma). */
export function normalLogPdf(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return -0.5 * z * z - Math.log(sigma) - LOG_SQRT_2PI;
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const GAMMA_EPS = Number.EPSILON;
const TINY = 1e-300;

/**
 * log Phi(z), Phi the standard normal CDF, accurate in float64 for every z: relative error
 * near 1e-15 both where Phi underflows (z far below -38) and where log Phi rounds toward 0
 * (large z). Phi(z) = Q(1/2, z^2/2) / 2 for z < 0 with Q the regularized upper incomplete
 * gamma function; Q is computed in log space from its continued fraction (the erfc /
 * Mills-ratio asymptotics), so no intermediate underflows.
 */
export function logNormalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z === Infinity) return 0;
  if (z === -Infinity) return -Infinity;
  const x = 0.5 * z * z;
  // |z| beyond 1e154: z^2 overflows, and log Phi is -Infinity or 0 in float64 anyway.
  if (x === Infinity) return z < 0 ? -Infinity : 0;
  if (z < 0) return Math.log(0.5) + logUpperGammaHalf(x);
  // Phi(z) = 1 - Q/2: log1p keeps the tiny tail exact where Phi rounds to 1.
  return Math.log1p(-0.5 * Math.exp(logUpperGammaHalf(x)));
}

/** log Q(1/2, x) for x >= 0: series for small x, Lentz continued fraction for x > 3/2. */
function logUpperGammaHalf(x: number): number {
  const a = 0.5;
  if (x === 0) return 0;
  // The common factor x^a e^-x / Gamma(a), in log space; Gamma(1/2) = sqrt(pi).
  const logPrefactor = a * Math.log(x) - x - LOG_SQRT_PI;
  if (x < a + 1) {
    // P(a, x) = prefactor * sum_n x^n / (a (a+1) ... (a+n)); Q = 1 - P >= 0.08 here, no cancellation.
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 200; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * GAMMA_EPS) break;
    }
    return Math.log1p(-Math.exp(logPrefactor) * sum);
  }
  // Q(a, x) = prefactor * 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))), modified Lentz.
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < GAMMA_EPS) break;
  }
  return logPrefactor + Math.log(h);
}

/**
 * What the reference-model attacks read from one shadow, without its class vectors (an
 * audit holds one of these per shadow instead of records x queries x classes floats):
 *   trueClass      records x queries, the stored float32 probability of the label;
 *   otherMass      records x queries, the other classes' clamped probabilities summed in
 *                  float64 in class order, exactly as computeSignals (signals.ts) sums them;
 *   identityCorrect  records, 1 when the identity query's top class (first maximum) is the label;
 *   populationTrueClass  population records, the label's probability (identity query).
 * 12 bytes per (record, query) instead of 4 x classes, and the signals computed from it are
 * bit for bit those computed from the full vectors (test/unit/shadow-scale.test.ts).
 */
export interface ShadowSummary {
  trueClass: Float32Array;
  otherMass: Float64Array;
  identityCorrect: Uint8Array;
  populationTrueClass?: Float32Array;
}

/** Signals a ShadowSummary can give; entropy and modified entropy need every class. */
export const SUMMARY_SIGNALS = ['loss', 'confidence', 'lira-statistic'] as const;
export type SummarySignal = (typeof SUMMARY_SIGNALS)[number];

/** The clamp and floor of signals.ts: float32 softmax outputs underflow to 0. */
const MIN_PROBABILITY = 1e-30;

function clampProbability(p: number): number {
  return Number.isFinite(p) ? Math.min(1, Math.max(MIN_PROBABILITY, p)) : NaN;
}

/**
 * Summarises one shadow's outputs: audit probabilities laid out records x queries x classes,
 * population probabilities records x classes (identity query).
 */
export function summariseShadow(
  audit: Float32Array,
  population: Float32Array | undefined,
  queries: number,
  numClasses: number,
  labels: Int32Array,
  populationLabels: Int32Array | undefined,
): ShadowSummary {
  const records = labels.length;
  if (audit.length !== records * queries * numClasses) {
    throw new Error(`shadow outputs: expected ${records} records x ${queries} queries x ${numClasses} classes = ${records * queries * numClasses} audit probabilities, got ${audit.length}`);
  }
  const trueClass = new Float32Array(records * queries);
  const otherMass = new Float64Array(records * queries);
  for (let r = 0; r < records; r++) {
    const y = labels[r];
    for (let q = 0; q < queries; q++) {
      const row = (r * queries + q) * numClasses;
      let others = 0;
      for (let c = 0; c < numClasses; c++) if (c !== y) others += clampProbability(audit[row + c]);
      trueClass[r * queries + q] = audit[row + y];
      otherMass[r * queries + q] = others;
    }
  }
  const identityCorrect = identityCorrectOf(audit, queries, numClasses, labels);
  if (population === undefined) return { trueClass, otherMass, identityCorrect };
  if (populationLabels === undefined || population.length !== populationLabels.length * numClasses) {
    throw new Error(`shadow outputs: expected ${(populationLabels?.length ?? 0) * numClasses} population probabilities (records x ${numClasses} classes), got ${population.length}`);
  }
  const populationTrueClass = new Float32Array(populationLabels.length);
  for (let z = 0; z < populationLabels.length; z++) populationTrueClass[z] = population[z * numClasses + populationLabels[z]];
  return { trueClass, otherMass, identityCorrect, populationTrueClass };
}

/**
 * A signal from a record's stored true-class probability and the other classes' mass:
 * the same operations, in the same order, as computeSignals (signals.ts), so the value is
 * identical to the one computed from the full class vector.
 */
export function summarySignal(trueClass: number, otherMass: number, signal: SummarySignal): number {
  const stored = clampProbability(trueClass);
  const py = stored > 0.5 ? Math.max(MIN_PROBABILITY, 1 - otherMass) : stored;
  if (signal === 'confidence') return py;
  const logPy = stored > 0.5 ? Math.log1p(-Math.min(otherMass, 1 - MIN_PROBABILITY)) : Math.log(py);
  if (signal === 'loss') return logPy;
  return logPy - Math.log(Math.max(otherMass, MIN_PROBABILITY));
}
