/**
 * Shadow-model attack of Shokri et al. ("Membership Inference Attacks Against Machine
 * Learning Models", S&P 2017): shadow models trained like the target show how a model's
 * outputs differ between its training records (IN) and other records (OUT); an attack
 * classifier learns that difference, one per true class, and is applied to the target's
 * outputs. Score = the attack classifier's member probability.
 *
 * Features of one output (k = min(3, classes)): log of the k largest probabilities in
 * decreasing order, log p_y and log(1 - p_y) for the true class y (1 - p_y as the sum of the
 * other classes, so it stays resolved when a float32 p_y rounds to 1). Sorting makes the
 * vector comparable across records; p_y carries whether the top class is the right one.
 * Classifier: logistic regression (attack-classifier.ts explains the choice).
 */
import { logisticProbability, trainLogisticRegression, type LogisticModel, type LogisticRegressionOptions } from './attack-classifier';
import type { AttackScores } from './threshold';

export const SHOKRI_ATTACK = 'shokri-shadow-classifier';

export interface ModelOutputs {
  /** records x numClasses. */
  probabilities: Float32Array;
  labels: Int32Array;
}

export interface ShokriInput {
  /** Per shadow: its probabilities on every shadow record (records x numClasses). */
  shadowProbabilities: Float32Array[];
  /** True label of each shadow record. */
  shadowLabels: Int32Array;
  /** records x shadows: keep[r * shadows + s] = 1 when shadow s trained on record r. */
  shadowKeep: Uint8Array;
  targetMembers: ModelOutputs;
  targetNonMembers: ModelOutputs;
  numClasses: number;
}

export interface ShokriOptions extends LogisticRegressionOptions {
  /** A class needs this many IN and this many OUT shadow outputs for its own classifier. */
  minPerClass?: number;
}

export const SHOKRI_DEFAULTS = { minPerClass: 20 } as const;

const MIN_PROBABILITY = 1e-30;

export function shokriAttack(input: ShokriInput, options: ShokriOptions = {}): AttackScores {
  validate(input);
  const { numClasses, shadowLabels, shadowKeep } = input;
  const shadows = input.shadowProbabilities.length;
  const records = shadowLabels.length;
  const dims = featureCount(numClasses);
  const minPerClass = options.minPerClass ?? SHOKRI_DEFAULTS.minPerClass;

  // Training rows: one per (shadow, record), grouped by the record's true class.
  const rows = records * shadows;
  const features = new Float64Array(rows * dims);
  const targets = new Uint8Array(rows);
  const classOf = new Int32Array(rows);
  for (let s = 0; s < shadows; s++) {
    for (let r = 0; r < records; r++) {
      const row = s * records + r;
      writeFeatures(input.shadowProbabilities[s], r, shadowLabels[r], numClasses, features.subarray(row * dims, (row + 1) * dims));
      targets[row] = shadowKeep[r * shadows + s] ? 1 : 0;
      classOf[row] = shadowLabels[r];
    }
  }
  const counts = countTargets(targets);
  if (counts.in === 0 || counts.out === 0) {
    throw new Error(`the shadow models' keep matrix has ${counts.in} IN and ${counts.out} OUT outputs; the attack classifier needs both`);
  }
  const global = trainLogisticRegression(features, dims, targets, options);
  const perClass: (LogisticModel | undefined)[] = [];
  const fellBack: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const picked = [];
    for (let row = 0; row < rows; row++) if (classOf[row] === c) picked.push(row);
    const classTargets = Uint8Array.from(picked, (row) => targets[row]);
    const classCounts = countTargets(classTargets);
    if (classCounts.in < minPerClass || classCounts.out < minPerClass) {
      fellBack.push(c);
      perClass.push(undefined);
      continue;
    }
    const classFeatures = new Float64Array(picked.length * dims);
    picked.forEach((row, i) => classFeatures.set(features.subarray(row * dims, (row + 1) * dims), i * dims));
    perClass.push(trainLogisticRegression(classFeatures, dims, classTargets, options));
  }

  const score = (outputs: ModelOutputs): Float64Array => {
    const row = new Float64Array(dims);
    return Float64Array.from(outputs.labels, (label, r) => {
      writeFeatures(outputs.probabilities, r, label, numClasses, row);
      return logisticProbability(perClass[label] ?? global, row);
    });
  };
  const notes = [
    `Shokri et al.: logistic-regression attack classifiers per true class on ${shadows} shadow models' outputs ` +
      `(${counts.in} IN, ${counts.out} OUT); features: log top-${Math.min(3, numClasses)} sorted probabilities, log p_y, log(1 - p_y).`,
  ];
  if (fellBack.length > 0) {
    notes.push(`Classes ${fellBack.join(', ')} have fewer than ${minPerClass} IN or OUT shadow outputs; their records use one classifier trained on all classes.`);
  }
  return { memberScores: score(input.targetMembers), nonMemberScores: score(input.targetNonMembers), notes };
}

/** Number of attack features for a model with numClasses outputs. */
export function featureCount(numClasses: number): number {
  return Math.min(3, numClasses) + 2;
}

/** Writes the attack features of record r's output into `out`. */
export function writeFeatures(probabilities: Float32Array, r: number, label: number, numClasses: number, out: Float64Array): void {
  const k = Math.min(3, numClasses);
  const row = probabilities.subarray(r * numClasses, (r + 1) * numClasses);
  const top = Array.from(row, clamp).sort((a, b) => b - a);
  for (let i = 0; i < k; i++) out[i] = Math.log(top[i]);
  let others = 0;
  for (let c = 0; c < numClasses; c++) if (c !== label) others += clamp(row[c]);
  const py = clamp(row[label]);
  // Near 1, take log p_y = log1p(-others): float32 rounds a confident p_y to exactly 1.
  out[k] = py > 0.5 ? Math.log1p(-Math.min(others, 1 - MIN_PROBABILITY)) : Math.log(py);
  out[k + 1] = Math.log(Math.max(others, MIN_PROBABILITY));
}

function clamp(p: number): number {
  return Math.min(1, Math.max(MIN_PROBABILITY, p));
}

function countTargets(targets: Uint8Array): { in: number; out: number } {
  let inCount = 0;
  for (const t of targets) inCount += t;
  return { in: inCount, out: targets.length - inCount };
}

function validate(input: ShokriInput): void {
  const { numClasses, shadowLabels, shadowKeep, shadowProbabilities } = input;
  const records = shadowLabels.length;
  const shadows = shadowProbabilities.length;
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`numClasses must be an integer >= 2, got ${numClasses}`);
  if (shadows === 0) throw new Error('the Shokri attack needs at least one shadow model');
  shadowProbabilities.forEach((p, s) => {
    if (p.length !== records * numClasses) {
      throw new Error(`shadow ${s} has ${p.length} probabilities; expected ${records} records x ${numClasses} classes`);
    }
  });
  if (shadowKeep.length !== records * shadows) {
    throw new Error(`shadowKeep has ${shadowKeep.length} entries; expected ${records} records x ${shadows} shadows`);
  }
  const checkLabels = (labels: Int32Array, what: string) => {
    const bad = labels.findIndex((y) => !(y >= 0 && y < numClasses));
    if (bad >= 0) throw new Error(`${what} record ${bad} has label ${labels[bad]}; expected 0..${numClasses - 1}`);
  };
  checkLabels(shadowLabels, 'shadow');
  for (const [what, outputs] of [['target member', input.targetMembers], ['target non-member', input.targetNonMembers]] as const) {
    if (outputs.probabilities.length !== outputs.labels.length * numClasses) {
      throw new Error(`${what} outputs hold ${outputs.probabilities.length} probabilities for ${outputs.labels.length} records of ${numClasses} classes`);
    }
    checkLabels(outputs.labels, what);
  }
}
