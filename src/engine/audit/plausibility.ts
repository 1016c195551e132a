/**
 * Checks that the inputs are what the model was trained on, from the model's outputs on
 * members and non-members, before any attack runs: attack numbers from mis-specified inputs
 * (wrong scaling, layout or standardisation; swapped files; a model that answers one class)
 * would be reported as a measured risk. Pure functions of probabilities, labels, feature
 * ranges and the audit's settings.
 *
 * Which checks stop the audit (exit code 2, no attack numbers) and which only warn:
 * - degenerate-model, accuracy-at-chance (when statistically clear), swapped-membership (when
 *   clear) stop: the data as given cannot measure this model's leakage.
 * - feature-scale only warns: a model may scale its inputs itself (a Rescaling layer); when
 *   the scaling is really missing, the accuracy checks stop the audit and name it as the cause.
 * - accuracy-at-chance and swapped-membership warn instead of stopping when the evidence is
 *   suggestive but too few records make it conclusive.
 * - image-layout is information when the engine chose the layout, and stops the audit when an
 *   explicit "layout" leaves the model far less accurate than the other layout would.
 */
import type { Dataset, DatasetSpec } from '../artifacts/dataset';
import { recordSize } from '../artifacts/dataset';
import { predictedLabels } from '../attacks/signals';
import { InputError } from '../errors';
import { rocAucScore } from '../metrics';
import { regularizedIncompleteBeta } from '../metrics/incomplete-beta';
import type { InputCheck } from '../report/schema';
import { modelLayoutOf, type LayoutChoice } from './image-layout';

export type PlausibilityRule = 'accuracy-at-chance' | 'swapped-membership' | 'feature-scale' | 'degenerate-model' | 'image-layout';

export interface PlausibilityCheck extends InputCheck {
  rule: PlausibilityRule;
}

/** Range and kind of the values a model is fed (after preprocessing). */
export interface FeatureSummary {
  min: number;
  max: number;
  /** Every value is a whole number. */
  integerValued: boolean;
}

export interface GroupOutputsSummary {
  probabilities: Float32Array;
  labels: Int32Array;
}

export interface PlausibilityInput {
  numClasses: number;
  members: GroupOutputsSummary;
  nonMembers: GroupOutputsSummary;
  /** Members' features as the model received them. */
  memberFeatures: FeatureSummary;
  /** The model's input shape for one record. */
  inputShape: readonly (number | null)[];
  /** The members' dataset spec: what preprocessing the manifest names. */
  preprocess: Pick<DatasetSpec, 'scale' | 'offset' | 'mean' | 'std'>;
  layout?: LayoutChoice;
}

/** One-sided level of a clear result (z = 3.29: p = 0.0005), and of a suggestive one (z = 2.33: p = 0.01). */
const Z_CLEAR = 3.29;
const Z_SUGGESTIVE = 2.33;
/** Binomial tail probability below which member accuracy is conclusively below a trained model's... */
const P_CLEAR = 0.001;
/** ...and above which it is consistent with chance. */
const P_SUGGESTIVE = 0.01;
/** A model trained on its members gets at least this share of the majority-class guess's errors right on them. */
const SKILL_SHARE = 0.2;
/** An explicit layout is contradicted when the other one is this much more accurate. */
const LAYOUT_MARGIN = 0.1;
/** Practical size of a negative gap (and of an AUC below 0.5) before it counts as swapped. */
const MIN_SWAP_EFFECT = 0.02;
/** Degenerate: one class predicted for at least this share of records... */
const DEGENERATE_SHARE = 0.95;
/** ...while no class has more than this share less of the labels. */
const DEGENERATE_LABEL_GAP = 0.15;
const MIN_RECORDS_DEGENERATE = 20;
/** Whole-number features whose maximum is above this (and at most 255) look like raw 8-bit pixels. */
const MIN_RAW_PIXEL_MAX = 16;

/** P(X <= k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  return regularizedIncompleteBeta(1 - p, n - k, k + 1);
}

export function summarizeFeatures(features: Float32Array): FeatureSummary {
  let min = Infinity;
  let max = -Infinity;
  let integerValued = true;
  for (let i = 0; i < features.length; i++) {
    const v = features[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (integerValued && v !== Math.round(v)) integerValued = false;
  }
  return { min, max, integerValued };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function correctCount(g: GroupOutputsSummary, numClasses: number): { correct: number; predicted: Int32Array } {
  const predicted = predictedLabels(g.probabilities, numClasses);
  let correct = 0;
  for (let r = 0; r < predicted.length; r++) if (predicted[r] === g.labels[r]) correct++;
  return { correct, predicted };
}

function shares(values: Int32Array[], numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  let n = 0;
  for (const v of values) for (const c of v) if (c >= 0 && c < numClasses) (counts[c]++, n++);
  return counts.map((c) => c / Math.max(n, 1));
}

/** True for records that look like images: an image-shaped model input, or a flat square of pixels (784 = 28 x 28, 3 x 32 x 32...). */
function imageShaped(shape: readonly (number | null)[]): boolean {
  if (shape.some((d) => d === null)) return false;
  if (modelLayoutOf(shape)) return true;
  const dims = shape as number[];
  if (dims.length === 2) return dims[0] >= 8 && dims[1] >= 8;
  if (dims.length !== 1) return false;
  const size = dims[0];
  return [1, 3].some((c) => size % c === 0 && Number.isInteger(Math.sqrt(size / c)) && Math.sqrt(size / c) >= 8);
}

/** A layout that was chosen (info) or an explicit one the model's accuracy contradicts (stop). */
function layoutChecks(input: PlausibilityInput): PlausibilityCheck[] {
  const checks: PlausibilityCheck[] = [];
  const name = (l: string) => (l === 'nhwc' ? 'channels-last (nhwc)' : 'channels-first (nchw)');
  if (input.layout?.explicit && input.layout.accuracy && input.layout.records) {
    // An explicit layout under which the model is clearly less accurate than under the other one.
    const { stored, accuracy: acc, records } = input.layout;
    const otherLayout = stored === 'nhwc' ? 'nchw' : 'nhwc';
    const pooled = (acc.nhwc + acc.nchw) / 2;
    const se = Math.sqrt((pooled * (1 - pooled) * 2) / records);
    const z = se > 0 ? (acc[otherLayout] - acc[stored]) / se : 0;
    if (z >= Z_CLEAR && acc[otherLayout] - acc[stored] >= LAYOUT_MARGIN) {
      checks.push({
        rule: 'image-layout', verdict: 'stop', severity: 'high', keys: ['layout'],
        message: `"layout": "${stored}" looks wrong: on ${records} members the model is right on ${pct(acc[stored])} with the records read as ${name(stored)}, but on ${pct(acc[otherLayout])} read as ${name(otherLayout)}. The audit stops; set "layout": "${otherLayout}" if that is how the records are stored.`,
        data: { layout: stored, accuracyNhwc: acc.nhwc, accuracyNchw: acc.nchw, z },
      });
    }
  }
  if (input.layout?.detected && input.layout.accuracy) {
    const { stored, model, accuracy: acc, records } = input.layout;
    checks.push({
      rule: 'image-layout', verdict: 'finding', severity: 'info', keys: ['layout', 'members'],
      message: `The records fit both image layouts; the engine read them as ${name(stored)}${stored === model ? '' : ` and transposed them to the model's ${name(model)}`}: on ${records} members the model is right on ${pct(acc[stored])} that way and ${pct(acc[stored === 'nhwc' ? 'nchw' : 'nhwc'])} the other. Set "layout": "${stored}" to say so.`,
      data: { layout: stored, modelLayout: model, accuracyNhwc: acc.nhwc, accuracyNchw: acc.nchw },
    });
  }
  return checks;
}

/** The plausibility checks that fail, most specific first; empty when the inputs look right. */
export function checkPlausibility(input: PlausibilityInput): PlausibilityCheck[] {
  const { numClasses, members, nonMembers } = input;
  // The layout first: a wrong one explains everything below.
  const checks: PlausibilityCheck[] = layoutChecks(input);
  const m = correctCount(members, numClasses);
  const nm = correctCount(nonMembers, numClasses);
  const nM = members.labels.length;
  const nN = nonMembers.labels.length;
  const accM = m.correct / Math.max(nM, 1);
  const accN = nm.correct / Math.max(nN, 1);

  // feature-scale: whole-number pixel values above 1 fed to an image model with no preprocessing named.
  const f = input.memberFeatures;
  const named = input.preprocess.scale !== undefined || input.preprocess.offset !== undefined || input.preprocess.mean !== undefined || input.preprocess.std !== undefined;
  // 8-bit pixels reach well above 16 (the 0-16 scale of scikit-learn's digits is how those models are trained).
  const rawPixels = !named && imageShaped(input.inputShape) && f.integerValued && f.min >= 0 && f.max > MIN_RAW_PIXEL_MAX && f.max <= 255;
  const scaleHint = rawPixels ? ` The members' values are whole numbers from ${f.min} to ${f.max}, fed without scaling: if the model was trained on pixels scaled to [0, 1], set "preprocess": {"scale": 0.00392156862745098} (1/255).` : '';
  if (rawPixels) {
    checks.push({
      rule: 'feature-scale', verdict: 'finding', severity: 'medium', keys: ['preprocess', 'members'],
      message: `The model takes images but is fed raw pixel values (whole numbers from ${f.min} to ${f.max}) and the audit names no preprocessing. Image models are usually trained on pixels scaled to [0, 1] or standardised; set "preprocess" to what training did (e.g. {"scale": 0.00392156862745098} for 1/255), or {"scale": 1} if the model scales its inputs itself.`,
      data: { min: f.min, max: f.max },
    });
  }

  // degenerate-model: one class for nearly every record while the labels are spread out.
  const n = nM + nN;
  if (n >= MIN_RECORDS_DEGENERATE) {
    const predictedShares = shares([m.predicted, nm.predicted], numClasses);
    const labelShares = shares([members.labels, nonMembers.labels], numClasses);
    const top = predictedShares.indexOf(Math.max(...predictedShares));
    const topLabels = Math.max(...labelShares);
    if (predictedShares[top] >= DEGENERATE_SHARE && topLabels <= predictedShares[top] - DEGENERATE_LABEL_GAP) {
      checks.push({
        rule: 'degenerate-model', verdict: 'stop', severity: 'high', keys: ['model'],
        message: `The model predicts class ${top} for ${pct(predictedShares[top])} of the ${n} member and non-member records, while the largest class holds ${pct(topLabels)} of their labels: it is untrained, or fed inputs it was not trained on (preprocessing, image layout). The audit stops: attack numbers on it would be meaningless.${scaleHint}`,
        data: { predictedClass: top, predictedShare: predictedShares[top], largestLabelShare: topLabels, records: n },
      });
    }
  }

  // swapped-membership: non-members fitted clearly better than members.
  if (nM > 1 && nN > 1) {
    const pooled = (m.correct + nm.correct) / (nM + nN);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / nM + 1 / nN));
    const zGap = se > 0 ? (accN - accM) / se : 0;
    // Loss-threshold AUC: members should have the higher true-class probability (lower loss).
    const scores = new Float64Array(nM + nN);
    const membership = new Array<boolean>(nM + nN);
    for (let r = 0; r < nM; r++) (scores[r] = members.probabilities[r * numClasses + members.labels[r]]), (membership[r] = true);
    for (let r = 0; r < nN; r++) (scores[nM + r] = nonMembers.probabilities[r * numClasses + nonMembers.labels[r]]), (membership[nM + r] = false);
    const auc = rocAucScore(scores, membership);
    // Mann-Whitney normal approximation under AUC = 0.5, ignoring ties (which only makes it more cautious).
    const zAuc = (auc - 0.5) / Math.sqrt((nM + nN + 1) / (12 * nM * nN));
    const gap = accM - accN;
    const clear = (zGap >= Z_CLEAR && -gap >= MIN_SWAP_EFFECT) || (zAuc <= -Z_CLEAR && 0.5 - auc >= MIN_SWAP_EFFECT);
    const suggestive = zGap >= Z_SUGGESTIVE || zAuc <= -Z_SUGGESTIVE;
    // A degenerate model fits neither file: that says more than a swap would.
    const degenerate = checks.some((c) => c.rule === 'degenerate-model');
    if ((clear || suggestive) && !degenerate) {
      checks.push({
        rule: 'swapped-membership', verdict: clear ? 'stop' : 'finding', severity: clear ? 'high' : 'medium', keys: ['nonMembers', 'members'],
        message: `The model fits the non-members better than the members: accuracy ${pct(accN)} on ${nN} non-members against ${pct(accM)} on ${nM} members (gap ${(100 * gap).toFixed(1)} points, z = ${zGap.toFixed(1)}), loss-threshold AUC ${auc.toFixed(3)} (z = ${zAuc.toFixed(1)} against 0.5). A model fits its training records better, so "members" and "nonMembers" are most likely the wrong way round.${clear ? ' The audit stops; swap them in the manifest.' : ' Not conclusive; check that "members" is the training data.'}`,
        data: { memberAccuracy: accM, nonMemberAccuracy: accN, gapZ: zGap, auc, aucZ: zAuc },
      });
    }
  }

  // accuracy-at-chance: member accuracy no better than the majority-class rate of the members.
  const memberShares = shares([members.labels], numClasses);
  const majority = Math.max(...memberShares, 1 / numClasses);
  // Members at chance with non-members fitted clearly better are the non-members: the swap says it.
  const swapped = checks.some((c) => c.rule === 'swapped-membership' && c.verdict === 'stop');
  if (nM > 0 && !swapped) {
    // Stop when the accuracy is consistent with chance (not significantly above the majority rate) and
    // a barely trained model (right on SKILL_SHARE of the records the majority guess gets wrong) would
    // rarely score this low on this many records. Relative, so a 99%-majority data set is not held to 109%.
    const pAboveChance = 1 - binomialCdf(m.correct - 1, nM, majority);
    const skilled = majority + SKILL_SHARE * (1 - majority);
    const pValue = binomialCdf(m.correct, nM, skilled);
    const clear = pAboveChance > P_SUGGESTIVE && pValue < P_CLEAR;
    if (clear || accM <= majority) {
      checks.push({
        rule: 'accuracy-at-chance', verdict: clear ? 'stop' : 'finding', severity: clear ? 'high' : 'medium', keys: ['members'],
        message: `The model is right on ${pct(accM)} of its ${nM} members, no better than the ${pct(majority)} that always answering the largest class gives: the records are not what it was trained on as given (preprocessing, label column, image layout, or the wrong model).${clear ? ' The audit stops rather than report attack numbers from mis-specified inputs.' : ` With ${nM} members this is not conclusive (p = ${pValue.toPrecision(2)} for a barely trained model at ${pct(skilled)}), so the audit continues.`}${scaleHint}`,
        data: { memberAccuracy: accM, majorityRate: majority, members: nM, barelyTrainedAccuracy: skilled, pValue },
      });
    }
  }

  return checks;
}

/** The inputs as given are wrong: the audit stops with this check's finding (exit code 2). */
export class ImplausibleInputError extends InputError {
  /** The other checks' findings, reported beside the one that stopped the audit. */
  readonly others: PlausibilityCheck[];
  constructor(readonly check: PlausibilityCheck, all: PlausibilityCheck[], file: string) {
    super(check.message, { file });
    this.others = all.filter((c) => c !== check);
  }
  get rule(): PlausibilityRule {
    return this.check.rule;
  }
  get keys(): string[] {
    return this.check.keys;
  }
}

/** Throws for the first stopping check; returns the findings that only warn or inform. */
export function throwIfImplausible(checks: PlausibilityCheck[], modelFile: string): PlausibilityCheck[] {
  const stop = checks.find((c) => c.verdict === 'stop');
  if (stop) throw new ImplausibleInputError(stop, checks, modelFile);
  return checks;
}

/** The plausibility checks of an audit's outputs: the member features are summarised here. */
export function plausibilityOf(
  outputs: { model: { inputShape: (number | null)[]; numClasses: number }; members: { dataset: Dataset; probabilities: Float32Array }; nonMembers: { dataset: Dataset; probabilities: Float32Array }; layout?: LayoutChoice },
  preprocess: PlausibilityInput['preprocess'],
): PlausibilityCheck[] {
  const ds = outputs.members.dataset;
  return checkPlausibility({
    numClasses: outputs.model.numClasses,
    members: { probabilities: outputs.members.probabilities, labels: ds.labels },
    nonMembers: { probabilities: outputs.nonMembers.probabilities, labels: outputs.nonMembers.dataset.labels },
    memberFeatures: summarizeFeatures(ds.features.subarray(0, ds.count * recordSize(ds.featureShape))),
    inputShape: outputs.model.inputShape,
    preprocess,
    layout: outputs.layout,
  });
}
