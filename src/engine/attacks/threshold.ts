/**
 * Threshold attacks on one signal (Yeom et al.; Salem et al. ML-Leaks):
 * - global: the signal itself is the score; the ROC sweeps every threshold.
 * - per-class: one threshold per class at the same per-class false-positive rate,
 *   done by scoring each record by its quantile within its class's reference scores
 *   (population records when given, else non-members: then the thresholds are chosen
 *   on the evaluation data, an optimistic attacker, which the notes say).
 * - population: the attacker knows no non-members; it sets thresholds at upper-tail
 *   quantiles of the signal on population records. The ROC is the global one; what it
 *   adds is where those thresholds land (calibrated points) on the real non-members.
 */
import type { ThresholdVariant } from './catalog';
import { EmpiricalCdf } from './empirical-cdf';

export interface ScoredGroup {
  scores: Float64Array;
  labels: Int32Array;
}

export interface ThresholdAttackInput {
  members: ScoredGroup;
  nonMembers: ScoredGroup;
  population?: ScoredGroup;
  numClasses: number;
}

export interface AttackScores {
  memberScores: Float64Array;
  nonMemberScores: Float64Array;
  /** Thresholds an attacker would pick without seeing non-members, by target FPR. */
  calibratedThresholds?: { targetFpr: number; threshold: number }[];
  notes: string[];
}

export const CALIBRATION_FPRS = [0.01, 0.001, 0.0001];

export function runThresholdAttack(variant: ThresholdVariant, input: ThresholdAttackInput): AttackScores {
  switch (variant) {
    case 'threshold':
      return { memberScores: input.members.scores, nonMemberScores: input.nonMembers.scores, notes: [] };
    case 'threshold-per-class':
      return perClass(input);
    case 'population':
      return populationCalibrated(input);
  }
}

function perClass(input: ThresholdAttackInput): AttackScores {
  const reference = input.population ?? input.nonMembers;
  const notes: string[] = [];
  if (!input.population) {
    notes.push('No population data: per-class thresholds were calibrated on the non-members themselves (an optimistic attacker).');
  }
  const byClass: number[][] = Array.from({ length: input.numClasses }, () => []);
  reference.labels.forEach((label, i) => byClass[label]?.push(reference.scores[i]));
  const global = new EmpiricalCdf(reference.scores);
  const cdfs = byClass.map((s) => (s.length > 0 ? new EmpiricalCdf(s) : undefined));
  const missing = cdfs.map((c, k) => (c ? -1 : k)).filter((k) => k >= 0);
  if (missing.length) notes.push(`Classes ${missing.join(', ')} have no reference records; their records use the global threshold.`);
  const transform = (g: ScoredGroup) =>
    Float64Array.from(g.scores, (s, i) => (cdfs[g.labels[i]] ?? global).quantileOf(s));
  return { memberScores: transform(input.members), nonMemberScores: transform(input.nonMembers), notes };
}

function populationCalibrated(input: ThresholdAttackInput): AttackScores {
  if (!input.population || input.population.scores.length === 0) {
    throw new Error('this attack needs population data (records from the same distribution, neither members nor non-members); add "population" to the audit');
  }
  const cdf = new EmpiricalCdf(input.population.scores);
  const notes: string[] = [];
  const calibratedThresholds = CALIBRATION_FPRS.filter((alpha) => {
    if (alpha * cdf.size >= 1) return true;
    notes.push(`FPR ${alpha} cannot be targeted with ${cdf.size} population records (needs at least ${Math.ceil(1 / alpha)}).`);
    return false;
  }).map((alpha) => ({ targetFpr: alpha, threshold: cdf.upperTailThreshold(alpha) }));
  return { memberScores: input.members.scores, nonMemberScores: input.nonMembers.scores, calibratedThresholds, notes };
}
