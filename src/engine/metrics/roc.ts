/**
 * The ROC of a membership score over every threshold, and its thinning for reports.
 *
 * Convention: a higher score means "more likely a member"; membership true = member. The
 * attack at threshold t predicts "member" when score >= t.
 */
import type { RocCurve } from './types';

export interface ClassCounts {
  members: number;
  nonMembers: number;
}

/** Members and non-members in a membership vector. */
export function countClasses(membership: ArrayLike<boolean>): ClassCounts {
  let members = 0;
  for (let i = 0; i < membership.length; i++) if (membership[i] === true) members++;
  return { members, nonMembers: membership.length - members };
}

function checkInputs(scores: ArrayLike<number>, membership: ArrayLike<boolean>): ClassCounts {
  if (scores.length !== membership.length) {
    throw new Error(`computeRoc: ${scores.length} scores but ${membership.length} membership labels; they must pair up`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`computeRoc: score at index ${i} is NaN`);
    if (typeof membership[i] !== 'boolean') {
      throw new Error(`computeRoc: membership at index ${i} is ${String(membership[i])}, expected true or false`);
    }
  }
  const counts = countClasses(membership);
  if (counts.members === 0) throw new Error(`computeRoc: no members among the ${scores.length} records; the ROC needs both classes`);
  if (counts.nonMembers === 0) {
    throw new Error(`computeRoc: no non-members among the ${scores.length} records; the ROC needs both classes`);
  }
  return counts;
}

/**
 * The ROC over all distinct thresholds, highest first, records with equal scores grouped
 * into one step. Identical to sklearn's `roc_curve(y, s, drop_intermediate=False)` except
 * that the first point (0, 0) has threshold +Infinity ("predict nobody"; older sklearn
 * writes max+1 there). ±Infinity scores are ordinary, ordered values; NaN is an error.
 */
export function computeRoc(scores: ArrayLike<number>, membership: ArrayLike<boolean>): RocCurve {
  const counts = checkInputs(scores, membership);
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => (scores[i] > scores[j] ? -1 : scores[i] < scores[j] ? 1 : 0));

  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let truePositives = 0;
  let falsePositives = 0;
  for (let r = 0; r < n; r++) {
    const index = order[r];
    if (membership[index]) truePositives++;
    else falsePositives++;
    // A point only where the score changes: tied records cross the threshold together.
    if (r === n - 1 || scores[order[r + 1]] !== scores[index]) {
      fpr.push(falsePositives / counts.nonMembers);
      tpr.push(truePositives / counts.members);
      thresholds.push(scores[index]);
    }
  }
  return { fpr, tpr, thresholds };
}

/** True-positive and false-positive counts at ROC point i (the rates times the class sizes). */
export function countsAtPoint(roc: RocCurve, counts: ClassCounts, i: number): { truePositives: number; falsePositives: number } {
  return { truePositives: Math.round(roc.tpr[i] * counts.members), falsePositives: Math.round(roc.fpr[i] * counts.nonMembers) };
}

/**
 * Indices of the ROC points a report keeps, in order; all of them when there are at most
 * `maxPoints`.
 *
 * Thinning rule, for long curves: always keep the two endpoints and `keep` (the exact
 * operating points); otherwise walk the curve and keep a point when, since the last kept
 * point, TPR or FPR has moved by at least 1/s, or log10(FPR) by at least log10(nonMembers)/s
 * (FPR = 0 counted as 1/nonMembers), with s = floor((maxPoints - 2 - keep.length) / 3).
 * Each of the three criteria can fire at most s times over a monotone curve, so at most
 * maxPoints points remain, and every dropped point lies within 1/s in TPR and FPR (and
 * 1/s of the log-FPR range) of the kept point before it: the plot looks the same on linear
 * and on log-FPR axes, where the low-FPR region that matters keeps its detail.
 */
export function reportRocIndices(roc: RocCurve, counts: ClassCounts, keep: readonly number[], maxPoints = 2000): number[] {
  const length = roc.fpr.length;
  if (length <= maxPoints) return Array.from({ length }, (_, i) => i);
  const forced = new Set([0, length - 1, ...keep]);
  const steps = Math.floor((maxPoints - 2 - keep.length) / 3);
  if (steps < 1) throw new RangeError(`reportRocIndices: maxPoints ${maxPoints} leaves no room beyond ${forced.size} forced points`);
  const minFpr = 1 / counts.nonMembers;
  const logFpr = (f: number): number => Math.log10(Math.max(f, minFpr));
  const logStep = -Math.log10(minFpr) / steps;
  const kept: number[] = [];
  let lastFpr = 0;
  let lastTpr = 0;
  let lastLogFpr = logFpr(0);
  for (let i = 0; i < length; i++) {
    const f = roc.fpr[i];
    const t = roc.tpr[i];
    const moved =
      t - lastTpr >= 1 / steps || f - lastFpr >= 1 / steps || (logStep > 0 && logFpr(f) - lastLogFpr >= logStep);
    if (forced.has(i) || moved) {
      kept.push(i);
      lastFpr = f;
      lastTpr = t;
      lastLogFpr = logFpr(f);
    }
  }
  return kept;
}

/** [fpr, tpr] pairs of the report's ROC (see reportRocIndices for the thinning rule). */
export function reportRoc(roc: RocCurve, counts: ClassCounts, keep: readonly number[], maxPoints = 2000): [number, number][] {
  return reportRocIndices(roc, counts, keep, maxPoints).map((i) => [roc.fpr[i], roc.tpr[i]]);
}
