/**
 * Row helpers shared by the output defenses (output-defenses.ts, MemGuard, PURIFIER):
 * inputs checked, rows renormalised in float64, stored back as float32 distributions
 * whose first largest entry is the top class.
 */

/**
 * Checks a row-major `records x numClasses` probability array; returns the record count.
 * Messages start with `what: ` when it is given.
 */
export function checkProbabilityRows(what: string | undefined, probs: Float32Array, numClasses: number, minClasses = 2): number {
  const fail = (message: string): RangeError => new RangeError(what === undefined ? message : `${what}: ${message}`);
  if (!Number.isInteger(numClasses) || numClasses < minClasses) {
    throw fail(`numClasses must be an integer >= ${minClasses}, got ${numClasses}`);
  }
  if (probs.length % numClasses !== 0) {
    throw fail(`probabilities length ${probs.length} is not a multiple of numClasses ${numClasses}`);
  }
  const records = probs.length / numClasses;
  for (let r = 0; r < records; r++) {
    let sum = 0;
    for (let c = 0; c < numClasses; c++) {
      const p = probs[r * numClasses + c];
      if (!(p >= 0) || !Number.isFinite(p)) {
        throw fail(`probabilities must be finite and >= 0: record ${r}, class ${c} is ${p}`);
      }
      sum += p;
    }
    if (sum <= 0) throw fail(`probabilities of record ${r} sum to 0`);
  }
  return records;
}

/** Row r as float64, renormalised: float32 softmax outputs rarely sum to exactly 1. */
export function readRow(probs: Float32Array, numClasses: number, r: number): Float64Array {
  const row = Float64Array.from(probs.subarray(r * numClasses, (r + 1) * numClasses));
  let sum = 0;
  for (const p of row) sum += p;
  for (let c = 0; c < numClasses; c++) row[c] /= sum;
  return row;
}

/** First index of the largest value: the predicted class, as predictedLabels picks it. */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
  return best;
}

/** Class indices by decreasing value, ties to the lower index: position 0 is the top class. */
export function descendingOrder(row: ArrayLike<number>): number[] {
  return Array.from(descendingOrderInto(row, new Int32Array(row.length)));
}

/**
 * descendingOrder into `order` (row.length long), allocating nothing: a stable insertion
 * sort, which keeps equal values in index order and is fast for the few dozen classes of a
 * confidence vector.
 */
export function descendingOrderInto(row: ArrayLike<number>, order: Int32Array): Int32Array {
  for (let c = 0; c < row.length; c++) {
    let i = c;
    while (i > 0 && row[order[i - 1]!]! < row[c]!) {
      order[i] = order[i - 1]!;
      i--;
    }
    order[i] = c;
  }
  return order;
}

/**
 * Stores a float64 distribution as float32 at `offset`. Rounding can leave the sum off by a
 * few ulps; the leftover goes to the top class (a surplus to the first largest entry, a
 * deficit to the last largest one, so a tie cannot hand the top spot to another class).
 */
export function writeRow(out: Float32Array, offset: number, row: Float64Array): void {
  let sum = 0;
  for (let c = 0; c < row.length; c++) {
    out[offset + c] = row[c];
    sum += out[offset + c];
  }
  const residual = 1 - sum;
  let target = offset + argmax(row);
  if (residual < 0) {
    for (let c = row.length - 1; c >= 0; c--) {
      if (out[offset + c] === out[target]) {
        target = offset + c;
        break;
      }
    }
  }
  out[target] = Math.max(0, out[target] + residual);
}

/** Softmax in float64, stable for any finite logits. */
export function softmax(logits: Float64Array): Float64Array {
  let max = -Infinity;
  for (const z of logits) if (z > max) max = z;
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let c = 0; c < logits.length; c++) {
    out[c] = Math.exp(logits[c] - max);
    sum += out[c];
  }
  for (let c = 0; c < logits.length; c++) out[c] /= sum;
  return out;
}

/** Feature scaling fitted on training rows: (x - mean) / std per column, std floored. */
export interface Standardizer {
  mean: Float64Array;
  std: Float64Array;
}

export function fitStandardizer(rows: readonly Float64Array[]): Standardizer {
  const d = rows[0].length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const row of rows) for (let i = 0; i < d; i++) mean[i] += row[i] / rows.length;
  for (const row of rows) for (let i = 0; i < d; i++) std[i] += (row[i] - mean[i]) ** 2 / rows.length;
  // A constant column (e.g. near-zero tail probabilities) must not blow up.
  for (let i = 0; i < d; i++) std[i] = Math.max(Math.sqrt(std[i]), 1e-6);
  return { mean, std };
}

export function standardize(s: Standardizer, row: Float64Array): Float64Array {
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = (row[i] - s.mean[i]) / s.std[i];
  return out;
}

/**
 * At most `cap` row indices of `n`, evenly spaced: the learned defenses fit on a bounded
 * sample so a large defender set costs bounded time, and the choice is reproducible.
 */
export function evenlySpacedIndices(n: number, cap: number): number[] {
  if (n <= cap) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: cap }, (_, i) => Math.floor((i * n) / cap));
}

/** Throws a RangeError naming the option unless `value` is an integer >= `min`. */
export function checkIntegerOption(what: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${what}: ${name} must be an integer >= ${min}, got ${value}`);
}
