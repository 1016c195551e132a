/** The metrics module's public surface. */
export * from './types';
export { computeRoc, countClasses, countsAtPoint, reportRoc, reportRocIndices, type ClassCounts } from './roc';
export { rocAuc, rocAucScore } from './auc';
export { membershipAdvantage, type MembershipAdvantage } from './advantage';
export { operatingPoint, operatingPointIndex } from './operating-points';
export { clopperPearson } from './clopper-pearson';
export {
  incompleteBeta,
  inverseRegularizedIncompleteBeta,
  lnBeta,
  lnGamma,
  regularizedIncompleteBeta,
  type IncompleteBeta,
} from './incomplete-beta';
export { empiricalEpsilonLowerBound, type EpsilonLowerBound } from './epsilon';
export { binCounts, scoreHistogram, sharedBinEdges, type ScoreHistogram } from './histogram';
export { jensenShannonDistance, jensenShannonDistanceOfCounts } from './js-distance';
export { attackMetricsFromRoc, computeAttackMetrics } from './attack-metrics';
export { splitHalfEpsilonLowerBound, type SplitEpsilonLowerBound } from './epsilon-split';
