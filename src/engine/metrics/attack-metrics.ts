/**
 * Everything a report states about one attack's scores, computed from a single ROC.
 */
import { membershipAdvantage } from './advantage';
import { rocAuc } from './auc';
import { operatingPoint, operatingPointIndex } from './operating-points';
import { computeRoc, countClasses, reportRoc } from './roc';
import { REPORTED_FPRS, type AttackMetrics, type OperatingPoint, type ReportedFpr } from './types';

/** Same input errors as computeRoc (NaN score, length mismatch, a class missing). */
export function computeAttackMetrics(scores: ArrayLike<number>, membership: ArrayLike<boolean>): AttackMetrics {
  const roc = computeRoc(scores, membership);
  const counts = countClasses(membership);
  const advantage = membershipAdvantage(roc, counts);
  const tprAtFpr = {} as Record<ReportedFpr, OperatingPoint>;
  const keep = [advantage.index];
  for (const key of REPORTED_FPRS) {
    tprAtFpr[key] = operatingPoint(roc, counts, Number(key));
    keep.push(operatingPointIndex(roc, Number(key)));
  }
  return {
    members: counts.members,
    nonMembers: counts.nonMembers,
    auc: rocAuc(roc),
    advantage: advantage.advantage,
    ppv: advantage.ppv,
    tprAtFpr,
    roc: reportRoc(roc, counts, keep),
    minMeasurableFpr: 1 / counts.nonMembers,
  };
}
