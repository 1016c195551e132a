/**
 * Exact (Clopper-Pearson) binomial confidence intervals: the interval for a TPR or FPR
 * estimated from k successes out of n records, with no normal approximation (which fails
 * precisely at the small counts that low-FPR operating points have).
 */
import { inverseRegularizedIncompleteBeta } from './incomplete-beta';
import type { Interval } from './types';

/**
 * Two-sided interval at `confidence`: lower = Beta(alpha/2; k, n-k+1) quantile,
 * upper = Beta(1-alpha/2; k+1, n-k) quantile, alpha = 1 - confidence; lower is 0 when
 * k = 0 and upper is 1 when k = n.
 */
export function clopperPearson(k: number, n: number, confidence = 0.95): Interval {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`clopperPearson: n must be a positive integer, got ${n}`);
  if (!(Number.isInteger(k) && k >= 0 && k <= n)) {
    throw new RangeError(`clopperPearson: k must be an integer in [0, ${n}], got ${k}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`clopperPearson: confidence must be in (0, 1), got ${confidence}`);
  }
  const alpha = 1 - confidence;
  return {
    lower: k === 0 ? 0 : inverseRegularizedIncompleteBeta(alpha / 2, k, n - k + 1),
    upper: k === n ? 1 : inverseRegularizedIncompleteBeta(1 - alpha / 2, k + 1, n - k),
  };
}
