/**
 * Everything a report states about one attack's scores, computed from a single ROC.
 */
import { membershipAdvantage } from './advantage';
import { rocAuc } from './auc';
import { operatingPoint, operatingPointIndex } from './operating-points';
import { computeRoc, countClasses, reportRoc, type ClassCounts } from './roc';
import { REPORTED_FPRS, type AttackMetrics, type OperatingPoint, type ReportedFpr, type RocCurve } from './types';

/** Same input errors as computeRoc (NaN score, length mismatch, a class missing). */
export function computeAttackMetrics(scores: ArrayLike<number>, membership: ArrayLike<boolean>): AttackMetrics {
  return attackMetricsFromRoc(computeRoc(scores, membership), countClasses(membership));
}

/** The same metrics from an ROC already computed (callers that also need the full ROC build it once). */
export function attackMetricsFromRoc(roc: RocCurve, counts: ClassCounts): AttackMetrics {
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
