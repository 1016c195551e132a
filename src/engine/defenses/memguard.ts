/**
 * MemGuard (Jia et al. 2019, "MemGuard: Defending against Black-Box Membership Inference
 * Attacks via Adversarial Examples"): the defender trains its own membership classifier and
 * adds to every served confidence vector a noise vector crafted as an adversarial example
 * against it, so the classifier's output becomes 0.5 (a random guess), while
 *   - the predicted label is kept (the utility-loss constraint of the paper),
 *   - the output stays a probability distribution (noise is added to the logits), and
 *   - the expected L1 distortion is at most `epsilon` (the paper's phase II: the crafted
 *     noise is applied with probability min(1, epsilon / ||noise||_1), else none).
 *
 * Phase I here: normalised gradient steps on the logits against the sign of the defender's
 * attack score, projected so the top class stays ahead, until the score changes sign; then
 * bisection on the last step pins the score to 0 (probability 0.5), and a seeded coin picks
 * which side of 0 the final point lies on, so the residual sign carries no membership
 * information. A row whose score cannot reach 0 within the step budget keeps the point of
 * smallest |score| found.
 *
 * The defender's attack model is a small MLP (see small-mlp.ts) on sorted confidence
 * vectors: the training records' outputs (members, label 1) against reference records'
 * outputs (the defender's population, label 0), with the classes weighted equally and at
 * most MEMGUARD_MAX_FIT_RECORDS evenly spaced records of each.
 */
import { uniformRandom } from '../random';
import {
  argmax,
  checkIntegerOption,
  checkProbabilityRows,
  descendingOrder,
  descendingOrderInto,
  evenlySpacedIndices,
  fitStandardizer,
  readRow,
  softmax,
  standardize,
  writeRow,
  type Standardizer,
} from './confidence-rows';
import { createMlp, mlpActivations, mlpForward, mlpInputGradient, trainMlp, type Mlp } from './small-mlp';

/** The defender's own data: the target model's outputs on records it knows the membership of. */
export interface DefenderOutputs {
  /** Probabilities on the target's training records (members), records x numClasses. */
  training: Float32Array;
  /** Probabilities on reference records the target never saw (population), records x numClasses. */
  reference: Float32Array;
}

export interface MemGuardOptions {
  /** Expected L1 distortion budget per output, in (0, 2]; the paper's epsilon. */
  epsilon: number;
  /** Seeds the attack model's init and the phase-II coin flips. */
  seed: number;
  /** Hidden units of the defender's attack model (default 16). */
  hiddenUnits?: number;
  /** Full-batch Adam epochs for the attack model (default 400). */
  attackEpochs?: number;
  /** Maximum gradient steps of the noise search per row (default 200). */
  maxSteps?: number;
  /** Logit-space length of one normalised gradient step (default 0.1). */
  stepSize?: number;
}

export interface MemGuardOutput {
  /** The served probabilities, records x numClasses. */
  probabilities: Float32Array;
  /** L1 distance between the crafted noisy row and the original (whether applied or not). */
  noiseL1: Float64Array;
  /** Probability the crafted noise was applied with: min(1, epsilon / noiseL1). */
  applyProbability: Float64Array;
  /** 1 where the noise was applied. */
  applied: Uint8Array;
}

export interface MemGuardDefense {
  numClasses: number;
  /** The defender attack model's score (logit; > 0 means "member") for each row. */
  attackScores(probs: Float32Array): Float64Array;
  /** Defends every row of `probs`; `stream` varies the coin flips between calls (default 0). */
  defend(probs: Float32Array, stream?: number): MemGuardOutput;
}

/** Logit floor for zero probabilities: softmax brings them back as ~1e-30. */
const LOG_FLOOR = Math.log(1e-30);
/** How far, in logits, the top class stays ahead of the runner-up. */
const LABEL_MARGIN = 1e-3;
const BISECTION_STEPS = 60;
/** Records per group (training, reference) the attack model is fitted on, at most. */
export const MEMGUARD_MAX_FIT_RECORDS = 5000;

export function fitMemGuard(defender: DefenderOutputs, numClasses: number, options: MemGuardOptions): MemGuardDefense {
  if (!(options.epsilon > 0 && options.epsilon <= 2)) throw new RangeError(`memguard: epsilon must be in (0, 2] (an L1 distance between distributions), got ${options.epsilon}`);
  if (!Number.isInteger(options.seed)) throw new RangeError(`memguard: seed must be an integer, got ${options.seed}`);
  const maxSteps = options.maxSteps ?? 200;
  const stepSize = options.stepSize ?? 0.1;
  checkIntegerOption('memguard', 'maxSteps', maxSteps, 1);
  checkIntegerOption('memguard', 'hiddenUnits', options.hiddenUnits ?? 16, 1);
  checkIntegerOption('memguard', 'attackEpochs', options.attackEpochs ?? 400, 1);
  if (!(stepSize > 0 && Number.isFinite(stepSize))) throw new RangeError(`memguard: stepSize must be a finite number > 0, got ${stepSize}`);
  const attack = fitAttackModel(defender, numClasses, options);

  const attackScores = (probs: Float32Array) => {
    const records = checkProbabilityRows('memguard', probs, numClasses);
    return Float64Array.from({ length: records }, (_, r) => attack.score(readRow(probs, numClasses, r)));
  };

  const defend = (probs: Float32Array, stream = 0): MemGuardOutput => {
    const records = checkProbabilityRows('memguard', probs, numClasses);
    // Two independent streams: the coin for the residual sign and the phase-II draw.
    const uniform = uniformRandom((options.seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0);
    const out: MemGuardOutput = {
      probabilities: new Float32Array(probs.length),
      noiseL1: new Float64Array(records),
      applyProbability: new Float64Array(records),
      applied: new Uint8Array(records),
    };
    for (let r = 0; r < records; r++) {
      const row = readRow(probs, numClasses, r);
      const coin = uniform();
      const draw = uniform();
      const noisy = craftNoise(attack, row, maxSteps, stepSize, coin);
      let l1 = 0;
      for (let c = 0; c < numClasses; c++) l1 += Math.abs(noisy[c] - row[c]);
      const q = l1 > options.epsilon ? options.epsilon / l1 : 1;
      out.noiseL1[r] = l1;
      out.applyProbability[r] = q;
      const apply = l1 > 0 && draw < q;
      out.applied[r] = apply ? 1 : 0;
      writeRow(out.probabilities, r * numClasses, apply ? noisy : row);
    }
    return out;
  };
  return { numClasses, attackScores, defend };
}

/** One-call form: fit on the defender's outputs and defend `probs`; returns only the served probabilities. */
export function memGuard(probs: Float32Array, numClasses: number, defender: DefenderOutputs, options: MemGuardOptions): Float32Array {
  return fitMemGuard(defender, numClasses, options).defend(probs).probabilities;
}

interface AttackModel {
  /** Attack logit of a distribution row. */
  score(row: Float64Array): number;
  /** Attack logit and its gradient with respect to the row's probabilities (class order). */
  scoreAndGradient(row: Float64Array): { score: number; gradient: Float64Array };
}

function sortedFeatures(row: Float64Array, order: readonly number[]): Float64Array {
  return Float64Array.from(order, (c) => row[c]);
}

function fitAttackModel(defender: DefenderOutputs, numClasses: number, options: MemGuardOptions): AttackModel {
  const nIn = checkProbabilityRows('memguard defender training outputs', defender.training, numClasses);
  const nOut = checkProbabilityRows('memguard defender reference outputs', defender.reference, numClasses);
  if (nIn === 0 || nOut === 0) throw new RangeError(`memguard: the defender needs training and reference outputs, got ${nIn} and ${nOut} records`);
  const features: Float64Array[] = [];
  const targets: number[] = [];
  for (const [probs, n, target] of [[defender.training, nIn, 1], [defender.reference, nOut, 0]] as const) {
    for (const r of evenlySpacedIndices(n, MEMGUARD_MAX_FIT_RECORDS)) {
      const row = readRow(probs, numClasses, r);
      features.push(sortedFeatures(row, descendingOrder(row)));
      targets.push(target);
    }
  }
  const scaler: Standardizer = fitStandardizer(features);
  const inputs = features.map((f) => standardize(scaler, f));
  // Equal total weight per class, so an unbalanced defender set does not bias the score.
  const fitted = [targets.filter((t) => t === 0).length, targets.filter((t) => t === 1).length];
  const weight = [features.length / (2 * fitted[0]), features.length / (2 * fitted[1])];
  const mlp: Mlp = createMlp(numClasses, options.hiddenUnits ?? 16, 1, options.seed);
  trainMlp(
    mlp,
    inputs,
    (output, n, dOutput) => {
      const y = targets[n];
      const logit = output[0];
      const p = 1 / (1 + Math.exp(-logit));
      dOutput[0] = weight[y] * (p - y);
      // Binary cross-entropy from the logit, stable for large |logit|.
      return weight[y] * (Math.max(logit, 0) - logit * y + Math.log1p(Math.exp(-Math.abs(logit))));
    },
    { epochs: options.attackEpochs ?? 400, learningRate: 0.01, weightDecay: 1e-4 },
  );
  // Buffers reused by every call: the noise search scores each row hundreds of times.
  const order = new Int32Array(numClasses);
  const x = new Float64Array(numClasses);
  const act = mlpActivations(mlp);
  const dOutput = Float64Array.of(1);
  const delta = new Float64Array(mlp.hidden);
  const forward = (row: Float64Array): number => {
    descendingOrderInto(row, order);
    for (let i = 0; i < numClasses; i++) x[i] = (row[order[i]!]! - scaler.mean[i]!) / scaler.std[i]!;
    return mlpForward(mlp, x, act).output[0]!;
  };
  return {
    score: forward,
    scoreAndGradient: (row) => {
      const score = forward(row);
      const dx = mlpInputGradient(mlp, act, dOutput, delta);
      const gradient = new Float64Array(row.length);
      // Sorting is a fixed permutation locally; standardising divides by std.
      for (let i = 0; i < numClasses; i++) gradient[order[i]!] = dx[i]! / scaler.std[i]!;
      return { score, gradient };
    },
  };
}

/** Raises the top class's logit just enough to stay ahead of every other class. */
function keepLabel(logits: Float64Array, top: number): void {
  let runnerUp = -Infinity;
  for (let c = 0; c < logits.length; c++) if (c !== top && logits[c] > runnerUp) runnerUp = logits[c];
  if (logits[top] < runnerUp + LABEL_MARGIN) logits[top] = runnerUp + LABEL_MARGIN;
}

/**
 * The noisy distribution of phase I for one row (the row itself when no step helps). Each
 * point is scored once: the forward pass that checks a step's sign also gives the
 * gradient the next step follows.
 */
function craftNoise(attack: AttackModel, row: Float64Array, maxSteps: number, stepSize: number, coin: number): Float64Array {
  const k = row.length;
  const top = argmax(row);
  const start = Float64Array.from(row, (p) => (p > 0 ? Math.max(Math.log(p), LOG_FLOOR) : LOG_FLOOR));
  keepLabel(start, top);
  let probs = softmax(start);
  let { score, gradient } = attack.scoreAndGradient(probs);
  if (score === 0) return row;
  const direction = Math.sign(score);
  let previous = start;
  let best = { logits: start, absScore: Math.abs(score) };
  for (let step = 0; step < maxSteps; step++) {
    // Chain rule through softmax: d score / d z_j = s_j (g_j - sum_i g_i s_i).
    let mean = 0;
    for (let c = 0; c < k; c++) mean += gradient[c] * probs[c];
    const dz = Float64Array.from(probs, (s, c) => s * (gradient[c] - mean));
    let norm = 0;
    for (const g of dz) norm += g * g;
    norm = Math.sqrt(norm);
    if (!(norm > 0) || !Number.isFinite(norm)) break;
    const next = Float64Array.from(previous, (z, c) => z - (direction * stepSize * dz[c]) / norm);
    keepLabel(next, top);
    probs = softmax(next);
    ({ score, gradient } = attack.scoreAndGradient(probs));
    if (Math.sign(score) !== direction) return softmax(bisect(attack, previous, next, direction, coin));
    if (Math.abs(score) < best.absScore) best = { logits: next, absScore: Math.abs(score) };
    previous = next;
  }
  return best.logits === start ? row : softmax(best.logits);
}

/**
 * Narrows [a, b] (score of sign `direction` at a, not at b) to the zero crossing. Both
 * ends keep the label, and so does every point between them: the top class's lead is linear
 * along the segment. The coin decides which side of 0 is returned.
 */
function bisect(attack: AttackModel, a: Float64Array, b: Float64Array, direction: number, coin: number): Float64Array {
  const at = (t: number) => Float64Array.from(a, (z, c) => z + t * (b[c] - z));
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < BISECTION_STEPS; i++) {
    const mid = (lo + hi) / 2;
    // Adjacent doubles: every further step would land on lo or hi again.
    if (mid === lo || mid === hi) break;
    if (Math.sign(attack.score(softmax(at(mid)))) === direction) lo = mid;
    else hi = mid;
  }
  return at(coin < 0.5 ? lo : hi);
}
