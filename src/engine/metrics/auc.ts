/**
 * Area under the ROC: the probability that a random member scores above a random
 * non-member, ties counting half (the trapezoid over tied groups is exactly that).
 */
import { computeRoc } from './roc';
import type { RocCurve } from './types';

/** Trapezoid area under an ROC, with compensated (Neumaier) summation so long curves stay exact to ~1e-16. */
export function rocAuc(roc: RocCurve): number {
  let sum = 0;
  let compensation = 0;
  for (let i = 1; i < roc.fpr.length; i++) {
    const term = ((roc.fpr[i] - roc.fpr[i - 1]) * (roc.tpr[i] + roc.tpr[i - 1])) / 2;
    const next = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - next + term : term - next + sum;
    sum = next;
  }
  return sum + compensation;
}

/** Same value as sklearn's `roc_auc_score(membership, scores)`; same input errors as computeRoc. */
export function rocAucScore(scores: ArrayLike<number>, membership: ArrayLike<boolean>): number {
  return rocAuc(computeRoc(scores, membership));
}
