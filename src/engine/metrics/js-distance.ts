/**
 * Jensen-Shannon distance between the member and non-member distributions of a signal
 * (entropy, cross-entropy): the measurement literature's predictor of membership risk
 * that needs no attack. 0 for identical histograms, 1 for disjoint ones.
 */
import { scoreHistogram } from './histogram';

/**
 * sqrt of the JS divergence (base 2) between two count vectors over the same bins,
 * each normalised to a distribution; equals scipy.spatial.distance.jensenshannon(p, q, base=2).
 */
export function jensenShannonDistanceOfCounts(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new Error(`jensenShannonDistance: ${p.length} bins against ${q.length}`);
  const totalP = p.reduce((s, v) => s + v, 0);
  const totalQ = q.reduce((s, v) => s + v, 0);
  if (!(totalP > 0 && totalQ > 0)) throw new Error('jensenShannonDistance: both histograms need a positive total');
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / totalP;
    const qi = q[i] / totalQ;
    const mi = (pi + qi) / 2;
    // 0 log 0 = 0: a bin empty on one side contributes only through the other.
    if (pi > 0) divergence += pi * Math.log(pi / mi);
    if (qi > 0) divergence += qi * Math.log(qi / mi);
  }
  // Rounding can leave a tiny negative value for identical inputs or exceed 1 by an ulp.
  const bits = Math.min(1, Math.max(0, divergence / (2 * Math.LN2)));
  return Math.sqrt(bits);
}

/** JS distance between two samples' histograms on `bins` shared equal-width bins (see scoreHistogram). */
export function jensenShannonDistance(a: ArrayLike<number>, b: ArrayLike<number>, bins = 30): number {
  if (a.length === 0 || b.length === 0) throw new Error('jensenShannonDistance: both samples must be non-empty');
  const histogram = scoreHistogram(a, b, bins);
  return jensenShannonDistanceOfCounts(histogram.members, histogram.nonMembers);
}
