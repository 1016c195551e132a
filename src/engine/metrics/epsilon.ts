/**
 * Empirical lower bound on a differential-privacy epsilon implied by an attack's ROC
 * (Jagielski et al. 2020; Nasr et al. 2021). An (eps, delta)-DP mechanism forces every
 * test to satisfy FPR + e^eps FNR >= 1 - delta and FNR + e^eps FPR >= 1 - delta, so at
 * each threshold
 *   eps >= max( ln((1 - delta - FPR) / FNR), ln((1 - delta - FNR) / FPR) ),
 * and replacing the observed rates by their Clopper-Pearson upper bounds makes the
 * claim hold with the chosen confidence rather than only for this sample.
 */
import { clopperPearson } from './clopper-pearson';
import { countsAtPoint, type ClassCounts } from './roc';
import type { RocCurve } from './types';

export interface EpsilonLowerBound {
  /** The bound; 0 when no threshold beats chance after the confidence correction. */
  epsilon: number;
  /** Threshold that gives the bound (+Infinity, "predict nobody", when epsilon is 0). */
  threshold: number;
  /** Observed FPR and FNR at that threshold. */
  fpr: number;
  fnr: number;
  /** Their Clopper-Pearson upper bounds, which the bound is computed from. */
  fprUpper: number;
  fnrUpper: number;
}

/** ln((1 - delta - u) / v), or -Infinity when the numerator leaves nothing to bound. */
export function logRatio(oneMinusDelta: number, u: number, v: number): number {
  const numerator = oneMinusDelta - u;
  if (numerator <= 0) return -Infinity;
  return v === 0 ? Infinity : Math.log(numerator / v);
}

/**
 * The bound over all thresholds. `confidence` is that of the two-sided Clopper-Pearson
 * intervals whose upper ends are used (0.95 as in Jagielski et al.'s code). The score
 * orientation is taken as given (higher = member): inverted scores bound nothing.
 *
 * Only Pareto-optimal points are candidates (no other point has FP <= and TP >= with one
 * strict), since the bound falls as either error count rises. Along that frontier FP
 * rises and FN falls, so for a run of candidates lo..hi the bound computed from FP[lo]
 * and FN[hi] is at least that of every member: a branch-and-bound over runs skips whole
 * stretches that cannot win (near the diagonal, most of them) with two interval
 * evaluations each, instead of two per threshold.
 */
export function empiricalEpsilonLowerBound(roc: RocCurve, counts: ClassCounts, delta: number, confidence = 0.95): EpsilonLowerBound {
  if (!(delta >= 0 && delta < 1)) throw new RangeError(`empiricalEpsilonLowerBound: delta must be in [0, 1), got ${delta}`);
  const { members, nonMembers } = counts;
  const oneMinusDelta = 1 - delta;
  const length = roc.fpr.length;

  const index: number[] = [];
  const falsePositives: number[] = [];
  const falseNegatives: number[] = [];
  for (let i = 0; i < length; i++) {
    const here = countsAtPoint(roc, counts, i);
    const sameFpAsNext = i + 1 < length && countsAtPoint(roc, counts, i + 1).falsePositives === here.falsePositives;
    const sameTpAsPrevious = i > 0 && countsAtPoint(roc, counts, i - 1).truePositives === here.truePositives;
    if (sameFpAsNext || sameTpAsPrevious) continue;
    index.push(i);
    falsePositives.push(here.falsePositives);
    falseNegatives.push(members - here.truePositives);
  }

  const memo = (n: number) => {
    const cache = new Map<number, number>();
    return (k: number): number => {
      let upper = cache.get(k);
      if (upper === undefined) {
        upper = clopperPearson(k, n, confidence).upper;
        cache.set(k, upper);
      }
      return upper;
    };
  };
  const fprUpperOf = memo(nonMembers);
  const fnrUpperOf = memo(members);
  const boundOf = (fprUpper: number, fnrUpper: number): number =>
    Math.max(logRatio(oneMinusDelta, fprUpper, fnrUpper), logRatio(oneMinusDelta, fnrUpper, fprUpper));
  const runBound = (lo: number, hi: number): number => boundOf(fprUpperOf(falsePositives[lo]), fnrUpperOf(falseNegatives[hi]));

  let best: EpsilonLowerBound = { epsilon: 0, threshold: Infinity, fpr: 0, fnr: 1, fprUpper: fprUpperOf(0), fnrUpper: 1 };
  if (index.length === 0) return best;
  const stack: { lo: number; hi: number; bound: number }[] = [{ lo: 0, hi: index.length - 1, bound: runBound(0, index.length - 1) }];
  while (stack.length > 0) {
    const { lo, hi, bound } = stack.pop()!;
    if (bound <= best.epsilon) continue;
    if (lo === hi) {
      const i = index[lo];
      best = {
        epsilon: bound,
        threshold: roc.thresholds[i],
        fpr: roc.fpr[i],
        fnr: falseNegatives[lo] / members,
        fprUpper: fprUpperOf(falsePositives[lo]),
        fnrUpper: fnrUpperOf(falseNegatives[lo]),
      };
      continue;
    }
    const mid = (lo + hi) >> 1;
    const left = { lo, hi: mid, bound: runBound(lo, mid) };
    const right = { lo: mid + 1, hi, bound: runBound(mid + 1, hi) };
    // Depth-first into the more promising half, so a good bound prunes the rest early.
    if (left.bound > right.bound) stack.push(right, left);
    else stack.push(left, right);
  }
  return best;
}
