/**
 * Membership advantage (Yeom et al.): max over thresholds of |TPR - FPR|, and the
 * precision (PPV) an attacker gets at the threshold that achieves it.
 */
import { countsAtPoint, type ClassCounts } from './roc';
import type { RocCurve } from './types';

export interface MembershipAdvantage {
  /** max |TPR - FPR| over the ROC, in [0, 1]. */
  advantage: number;
  /**
   * Precision of the rule that achieves the advantage. When that point is below the
   * diagonal (FPR > TPR) the scores are inverted and the attacker's rule is
   * "member when score < threshold", so the PPV is that rule's: (P - TP) / (P - TP + N - FP).
   * At zero advantage it is the base rate P / (P + N).
   */
  ppv: number;
  /** ROC index and threshold of the maximising point (the highest threshold on ties). */
  index: number;
  threshold: number;
  /** True when the maximum is at FPR > TPR (the attacker predicts below the threshold). */
  inverted: boolean;
}

export function membershipAdvantage(roc: RocCurve, counts: ClassCounts): MembershipAdvantage {
  // Point 0 is "predict nobody", whose precision is undefined; every other point predicts
  // at least one record, and its advantage equals point 0's (zero) or exceeds it.
  let best = 1;
  for (let i = 2; i < roc.fpr.length; i++) {
    if (Math.abs(roc.tpr[i] - roc.fpr[i]) > Math.abs(roc.tpr[best] - roc.fpr[best])) best = i;
  }
  const advantage = Math.abs(roc.tpr[best] - roc.fpr[best]);
  const inverted = roc.fpr[best] > roc.tpr[best];
  const { truePositives, falsePositives } = countsAtPoint(roc, counts, best);
  const ppv = inverted
    ? (counts.members - truePositives) / (counts.members - truePositives + counts.nonMembers - falsePositives)
    : truePositives / (truePositives + falsePositives);
  return { advantage, ppv, index: best, threshold: roc.thresholds[best], inverted };
}
