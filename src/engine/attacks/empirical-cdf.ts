/** Mid-rank empirical CDF of a reference sample: maps a score to its quantile in (0, 1). */
export class EmpiricalCdf {
  private readonly sorted: Float64Array;

  constructor(reference: ArrayLike<number>) {
    this.sorted = Float64Array.from(reference).sort();
  }

  get size(): number {
    return this.sorted.length;
  }

  /** (#reference < s + 0.5 * #reference == s) / n; ties count half so equal scores stay equal. */
  quantileOf(s: number): number {
    const below = lowerBound(this.sorted, s);
    const notAbove = upperBound(this.sorted, s);
    return (below + 0.5 * (notAbove - below)) / this.sorted.length;
  }

  /** The smallest reference value v with #(reference > v) / n <= alpha: a threshold at upper-tail level alpha. */
  upperTailThreshold(alpha: number): number {
    const n = this.sorted.length;
    const allowedAbove = Math.floor(alpha * n);
    return this.sorted[n - 1 - allowedAbove];
  }
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function upperBound(a: Float64Array, x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1; else hi = mid;
  }
  return lo;
}
