/**
 * Inference-time output defenses against membership inference: transformations of the
 * probability vectors a model serves. Each takes `records x numClasses` probabilities
 * (row-major Float32Array) and returns a new array; inputs are never modified.
 *
 * Every output row is a distribution (non-negative, sums to 1). All defenses except
 * gaussianNoise keep each row's top class (the first index of the largest value, as
 * predictedLabels in attacks/signals.ts picks it), so accuracy is unchanged and only
 * the confidence information attacks feed on is reduced.
 */
import { gaussianRandom } from '../random';
import { argmax, checkProbabilityRows, readRow, softmax, writeRow } from './confidence-rows';

/** A single class is allowed here: every defense below is defined for it. */
function checkProbabilities(probs: Float32Array, numClasses: number): number {
  return checkProbabilityRows(undefined, probs, numClasses, 1);
}

function checkNonNegative(name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
}

function checkPositive(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
}

/**
 * Keeps the k largest probabilities of each row (ties go to the lower class index) and
 * renormalises them; the rest become 0.
 */
export function topK(probs: Float32Array, numClasses: number, k: number): Float32Array {
  const records = checkProbabilities(probs, numClasses);
  if (!Number.isInteger(k) || k < 1 || k > numClasses) {
    throw new RangeError(`k must be an integer in [1, numClasses = ${numClasses}], got ${k}`);
  }
  const out = new Float32Array(probs.length);
  const order = Array.from({ length: numClasses }, (_, c) => c);
  for (let r = 0; r < records; r++) {
    const row = readRow(probs, numClasses, r);
    order.sort((a, b) => row[b] - row[a] || a - b);
    const kept = new Float64Array(numClasses);
    let sum = 0;
    for (let i = 0; i < k; i++) sum += row[order[i]];
    for (let i = 0; i < k; i++) kept[order[i]] = row[order[i]] / sum;
    writeRow(out, r * numClasses, kept);
  }
  return out;
}

/**
 * Rounds each probability to `decimals` decimal places. Rounding entries independently
 * would break the sum (and at 0 decimals can zero a whole row), so rows are apportioned
 * on the 10^-decimals grid by largest remainder: floor every entry, then give the
 * remaining grid steps to the largest remainders. The sum is exactly 1 grid-wise and each
 * entry moves by less than one step. If that leaves another class tied with the top
 * class, the tied class gives the top class one step, so the top class stays first
 * (those two entries may then move by up to two steps).
 */
export function roundProbabilities(probs: Float32Array, numClasses: number, decimals: number): Float32Array {
  const records = checkProbabilities(probs, numClasses);
  // Float32 holds about 7 significant digits; beyond 15, 10^decimals * p loses integers.
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 15) {
    throw new RangeError(`decimals must be an integer in [0, 15], got ${decimals}`);
  }
  const steps = 10 ** decimals;
  const out = new Float32Array(probs.length);
  const order = Array.from({ length: numClasses }, (_, c) => c);
  for (let r = 0; r < records; r++) {
    const row = readRow(probs, numClasses, r);
    const top = argmax(row);
    const units = new Float64Array(numClasses);
    const remainder = new Float64Array(numClasses);
    let given = 0;
    for (let c = 0; c < numClasses; c++) {
      const scaled = row[c] * steps;
      units[c] = Math.floor(scaled);
      remainder[c] = scaled - units[c];
      given += units[c];
    }
    order.sort((a, b) => remainder[b] - remainder[a] || a - b);
    for (let i = 0; given < steps && i < numClasses; i++, given++) units[order[i]] += 1;
    for (let c = 0; c < numClasses; c++) {
      if (c !== top && units[c] === units[top] && units[c] > 0) {
        units[c] -= 1;
        units[top] += 1;
      }
    }
    for (let c = 0; c < numClasses; c++) out[r * numClasses + c] = units[c] / steps;
  }
  return out;
}

/** One-hot of each row's top class: the label-only API, no confidence at all. */
export function labelsOnly(probs: Float32Array, numClasses: number): Float32Array {
  const records = checkProbabilities(probs, numClasses);
  const out = new Float32Array(probs.length);
  for (let r = 0; r < records; r++) {
    out[r * numClasses + argmax(probs.subarray(r * numClasses, (r + 1) * numClasses))] = 1;
  }
  return out;
}

/**
 * Mixes `perturbed` toward `original` in place, (1 - t) p + t y, with t just above the
 * smallest value at which class `top` is the first largest entry again. Both rows are
 * distributions, so the mix is one; at t = 1 it is the original row, whose top class is
 * `top`. Per class c the gap d_c(t) = (1 - t)(p_c - p_top) + t (y_c - y_top) is linear in t
 * and ends <= 0 (< 0 below `top`), so it crosses zero at a / (a - b).
 */
function keepTopClass(perturbed: Float64Array, original: Float64Array, top: number): void {
  let needed = 0;
  for (let c = 0; c < perturbed.length; c++) {
    if (c === top) continue;
    const a = perturbed[c] - perturbed[top];
    const b = original[c] - original[top];
    if (a >= 0 && a - b > 0) needed = Math.max(needed, a / (a - b));
  }
  // The margin keeps the order strict after rounding to float32.
  const t = Math.min(1, needed + 1e-3 * (1 - needed));
  for (let c = 0; c < perturbed.length; c++) perturbed[c] = (1 - t) * perturbed[c] + t * original[c];
}

/**
 * Reverse sigmoid (Lee et al. 2019, "Defending against NN model stealing attacks using
 * deceptive perturbations"):
 *
 *   r_i = beta * (s(gamma * s^-1(y_i)) - 1/2),   y~_i = alpha * max(0, y_i - r_i)
 *
 * with s the logistic sigmoid, s^-1 the logit and alpha renormalising the row. Since
 * s(gamma * logit y) = y^g / (y^g + (1 - y)^g) it is computed in that form, exact at y = 0
 * and 1. The perturbation pushes confident outputs toward the middle and flattens the
 * map y -> y~, so an attacker's gradients and confidence gaps mislead.
 *
 * y - r(y) is increasing in y (so the top class is kept for free) when gamma >= 1 and
 * beta * gamma <= 1. Outside that range it can reorder classes; to keep the label, such a
 * row is blended back toward the undefended one, (1 - t) y~ + t y, with the smallest t
 * that puts the top class first again (see keepTopClass). A row that the perturbation
 * drives entirely to 0 becomes one-hot.
 */
export function reverseSigmoid(probs: Float32Array, numClasses: number, beta: number, gamma: number): Float32Array {
  const records = checkProbabilities(probs, numClasses);
  checkPositive('beta', beta);
  checkPositive('gamma', gamma);
  const out = new Float32Array(probs.length);
  for (let r = 0; r < records; r++) {
    const row = readRow(probs, numClasses, r);
    const top = argmax(row);
    const perturbed = new Float64Array(numClasses);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) {
      const y = row[c];
      const a = y ** gamma;
      const squashed = a / (a + (1 - y) ** gamma);
      perturbed[c] = Math.max(0, y - beta * (squashed - 0.5));
      sum += perturbed[c];
    }
    if (!(sum > 0) || !Number.isFinite(sum)) {
      perturbed.fill(0);
      perturbed[top] = 1;
    } else {
      for (let c = 0; c < numClasses; c++) perturbed[c] /= sum;
      if (argmax(perturbed) !== top) keepTopClass(perturbed, row, top);
    }
    writeRow(out, r * numClasses, perturbed);
  }
  return out;
}

/**
 * Adds N(0, sigma^2) noise to each log-probability and applies softmax. Log-probabilities
 * are the logits up to a per-row constant, which softmax ignores, so this is logit noise;
 * softmax keeps every row a valid distribution with no clipping. Classes with probability
 * 0 stay 0 (log 0 = -inf). Unlike the other defenses the top class can change: that is
 * the accuracy this defense pays. Seeded so audits reproduce.
 */
export function gaussianNoise(probs: Float32Array, numClasses: number, sigma: number, seed: number): Float32Array {
  const records = checkProbabilities(probs, numClasses);
  checkNonNegative('sigma', sigma);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const normal = gaussianRandom(seed);
  const out = new Float32Array(probs.length);
  for (let r = 0; r < records; r++) {
    const row = readRow(probs, numClasses, r);
    const logits = new Float64Array(numClasses);
    for (let c = 0; c < numClasses; c++) {
      // Draw for every class, zeros included, so the stream does not depend on the data.
      const noise = sigma * normal();
      logits[c] = Math.log(row[c]) + noise;
    }
    writeRow(out, r * numClasses, softmax(logits));
  }
  return out;
}
