/**
 * TPR at a target FPR: the operating point LiRA-style reports quote, with exact intervals
 * and the sample-size floor (with n non-members no FPR below 1/n can be observed).
 */
import { clopperPearson } from './clopper-pearson';
import { countsAtPoint, type ClassCounts } from './roc';
import type { OperatingPoint, RocCurve } from './types';

/**
 * Index of the ROC point with the largest TPR among those with FPR <= targetFpr. The ROC
 * is monotone in both rates, so that is the last such point; point 0 (FPR 0) always
 * qualifies.
 */
export function operatingPointIndex(roc: RocCurve, targetFpr: number): number {
  if (!(targetFpr >= 0 && targetFpr <= 1)) throw new RangeError(`operatingPoint: targetFpr must be in [0, 1], got ${targetFpr}`);
  let lo = 0;
  let hi = roc.fpr.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (roc.fpr[mid] <= targetFpr) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The best TPR with FPR <= targetFpr, its threshold and counts, Clopper-Pearson 95%
 * intervals for TPR (TP of members) and FPR (FP of non-members), and whether the data can
 * measure an FPR this low at all (targetFpr >= 1 / nonMembers).
 */
export function operatingPoint(roc: RocCurve, counts: ClassCounts, targetFpr: number): OperatingPoint {
  const i = operatingPointIndex(roc, targetFpr);
  const { truePositives, falsePositives } = countsAtPoint(roc, counts, i);
  return {
    targetFpr,
    tpr: roc.tpr[i],
    fpr: roc.fpr[i],
    threshold: roc.thresholds[i],
    truePositives,
    falsePositives,
    tprInterval: clopperPearson(truePositives, counts.members),
    fprInterval: clopperPearson(falsePositives, counts.nonMembers),
    measurable: targetFpr >= 1 / counts.nonMembers,
  };
}
