/**
 * Membership-risk predictors that need no attack (the large-scale measurement of attacks
 * and defenses): the Jensen-Shannon distance between the member and non-member
 * distributions of prediction entropy and of cross-entropy loss. Near 0 the two groups
 * look alike to any attack on that signal; near 1 they barely overlap.
 *
 * Distances are in base 2 (sqrt of the JS divergence in bits, range [0, 1]), the same as
 * scipy.spatial.distance.jensenshannon(p, q, base=2); scipy's default natural-log value is
 * sqrt(ln 2) ~ 0.833 times smaller. Each signal is histogrammed on 30 shared equal-width
 * bins (metrics/histogram.ts), so small groups from one distribution still show a distance
 * of about 0.2-0.4: compare models audited on the same records, not against 0.
 */
import { computeSignals } from '../attacks/signals';
import { jensenShannonDistance } from '../metrics/js-distance';
import type { RiskPredictors } from '../report/schema';

export const RISK_PREDICTOR_BINS = 30;

export interface LabelledOutputs {
  /** Class probabilities, records x numClasses. */
  probabilities: Float32Array;
  labels: Int32Array;
}

/** Per-record prediction entropy -sum p ln p and cross-entropy -ln p_y, in nats. */
export function entropyAndCrossEntropy(group: LabelledOutputs, numClasses: number): { entropy: Float64Array; crossEntropy: Float64Array } {
  // computeSignals orients both as "higher = member" (negated); negation is exact.
  const signals = computeSignals(group.probabilities, numClasses, group.labels);
  return { entropy: signals.entropy.map((v) => -v), crossEntropy: signals.loss.map((v) => -v) };
}

export function computeRiskPredictors(members: LabelledOutputs, nonMembers: LabelledOutputs, numClasses: number): RiskPredictors {
  if (members.labels.length === 0 || nonMembers.labels.length === 0) {
    throw new RangeError(`risk predictors need members and non-members, got ${members.labels.length} and ${nonMembers.labels.length}`);
  }
  const m = entropyAndCrossEntropy(members, numClasses);
  const n = entropyAndCrossEntropy(nonMembers, numClasses);
  return {
    entropyJsDistance: jensenShannonDistance(m.entropy, n.entropy, RISK_PREDICTOR_BINS),
    crossEntropyJsDistance: jensenShannonDistance(m.crossEntropy, n.crossEntropy, RISK_PREDICTOR_BINS),
  };
}
