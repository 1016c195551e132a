/**
 * Member and non-member score histograms on shared, equal-width bins: what the report
 * plots and what the Jensen-Shannon risk predictor compares.
 */

export interface ScoreHistogram {
  /** bins + 1 finite edges. */
  edges: number[];
  members: number[];
  nonMembers: number[];
}

/**
 * Equal-width edges over the finite range of the values, as numpy.linspace builds them
 * (edge i = lo + i * step, last edge exactly hi). A range of one value is widened by 0.5
 * each side, as numpy.histogram does; with no finite value at all it is [-0.5, 0.5].
 */
export function sharedBinEdges(samples: readonly ArrayLike<number>[], bins: number): number[] {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new RangeError(`histogram: bins must be a positive integer, got ${bins}`);
  let lo = Infinity;
  let hi = -Infinity;
  samples.forEach((sample, s) => {
    for (let i = 0; i < sample.length; i++) {
      const v = sample[i];
      if (Number.isNaN(v)) throw new Error(`histogram: value at index ${i} of sample ${s} is NaN`);
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  });
  if (lo > hi) {
    lo = 0;
    hi = 0;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * step + lo);
  edges[bins] = hi;
  return edges;
}

/**
 * Counts per bin, bins closed on the left except the last, which is closed on both sides;
 * the same assignment as numpy.histogram (including its correction for values that land
 * on a rounded edge). -Infinity counts in the first bin and +Infinity in the last, as do
 * finite values outside the edges.
 */
export function binCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const first = edges[0];
  const last = edges[bins];
  const norm = bins / (last - first);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) throw new Error(`histogram: value at index ${i} is NaN`);
    let bin: number;
    if (v <= first) bin = 0;
    else if (v >= last) bin = bins - 1;
    else {
      bin = Math.min(Math.trunc((v - first) * norm), bins - 1);
      if (v < edges[bin]) bin--;
      else if (v >= edges[bin + 1] && bin !== bins - 1) bin++;
    }
    counts[bin]++;
  }
  return counts;
}

/** Histograms of member and non-member scores on `bins` shared equal-width bins. */
export function scoreHistogram(memberScores: ArrayLike<number>, nonMemberScores: ArrayLike<number>, bins = 30): ScoreHistogram {
  const edges = sharedBinEdges([memberScores, nonMemberScores], bins);
  return { edges, members: binCounts(memberScores, edges), nonMembers: binCounts(nonMemberScores, edges) };
}
