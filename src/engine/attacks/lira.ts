/**
 * LiRA, the likelihood-ratio attack of Carlini et al. ("Membership Inference Attacks From
 * First Principles", S&P 2022), on the logit-scaled confidence phi.
 *
 * For each record and query, Gaussians are fitted to the shadow statistics of the shadows
 * that trained on the record (IN) and of those that did not (OUT): mean = median of the set,
 * sigma = its standard deviation (ddof 0), or in the fixed-variance variants the standard
 * deviation of all IN (resp. OUT) statistics pooled over records, shadows and queries.
 *   online:  log N(phi; mu_in, sigma_in) - log N(phi; mu_out, sigma_out)
 *   offline: log Phi((phi - mu_out) / sigma_out), a one-sided test against OUT only
 * With several queries (augmentations) each query gets its own mu and sigma and the
 * per-query scores are averaged, as in the authors' reference code (plot.py). Unlike that
 * code we use every IN/OUT shadow of each record (it truncates all records to the smallest
 * IN/OUT count so the arrays are rectangular), and online-fixed pools OUT statistics for
 * sigma_out (it reuses the IN pool there).
 */
import {
  SIGMA_EPSILON,
  countKept,
  logNormalCdf,
  medianInPlace,
  normalLogPdf,
  standardDeviation,
  type ShadowSignals,
} from './shadow-statistics';

export const LIRA_VARIANTS = ['lira-online', 'lira-offline', 'lira-online-fixed', 'lira-offline-fixed'] as const;
export type LiraVariant = (typeof LIRA_VARIANTS)[number];

export function isLiraVariant(id: string): id is LiraVariant {
  return (LIRA_VARIANTS as readonly string[]).includes(id);
}

/** Online variants model IN shadows too, so every record needs at least one of each kind. */
export function isOnlineLira(variant: LiraVariant): boolean {
  return variant === 'lira-online' || variant === 'lira-online-fixed';
}

export function isFixedVarianceLira(variant: LiraVariant): boolean {
  return variant === 'lira-online-fixed' || variant === 'lira-offline-fixed';
}

export interface LiraInput extends ShadowSignals {
  keep: Uint8Array;
}

export interface LiraScores {
  /** One score per record; higher = more likely a member. */
  scores: Float64Array;
  /**
   * Records for which a standard deviation used in the score was exactly 0 (a single
   * shadow, or identical statistics), so SIGMA_EPSILON set the scale and the score is
   * extreme. Reports should say so rather than present the score as a measurement.
   */
  zeroSpreadRecords: number[];
}

const IN = 1;
const OUT = 0;

export function liraScores(variant: LiraVariant, input: LiraInput): LiraScores {
  const { records, shadows, queries, target, shadow, keep } = input;
  checkShapes(input);
  const online = isOnlineLira(variant);
  for (let r = 0; r < records; r++) {
    const ins = countKept(keep, r, shadows);
    if (online && ins === 0) throw new Error(`LiRA: record ${r} has no IN shadow; ${variant} needs one`);
    if (ins === shadows) throw new Error(`LiRA: record ${r} has no OUT shadow; ${variant} needs one`);
  }
  const fixed = isFixedVarianceLira(variant);
  const pooledIn = fixed && online ? pooledStandardDeviation(input, IN) : NaN;
  const pooledOut = fixed ? pooledStandardDeviation(input, OUT) : NaN;

  const scores = new Float64Array(records);
  const zeroSpreadRecords: number[] = [];
  const inValues = new Float64Array(shadows);
  const outValues = new Float64Array(shadows);
  for (let r = 0; r < records; r++) {
    let total = 0;
    let zeroSpread = false;
    for (let q = 0; q < queries; q++) {
      let nIn = 0;
      let nOut = 0;
      for (let s = 0; s < shadows; s++) {
        const v = shadow[(r * shadows + s) * queries + q];
        if (keep[r * shadows + s]) inValues[nIn++] = v;
        else outValues[nOut++] = v;
      }
      const phi = target[r * queries + q];
      // sigma before the median: the median reorders the buffer in place.
      const sigmaOut = fixed ? pooledOut : standardDeviation(outValues, nOut);
      const muOut = medianInPlace(outValues, nOut);
      if (online) {
        const sigmaIn = fixed ? pooledIn : standardDeviation(inValues, nIn);
        const muIn = medianInPlace(inValues, nIn);
        if (sigmaIn === 0 || sigmaOut === 0) zeroSpread = true;
        total += normalLogPdf(phi, muIn, sigmaIn + SIGMA_EPSILON) - normalLogPdf(phi, muOut, sigmaOut + SIGMA_EPSILON);
      } else {
        if (sigmaOut === 0) zeroSpread = true;
        total += logNormalCdf((phi - muOut) / (sigmaOut + SIGMA_EPSILON));
      }
    }
    scores[r] = total / queries;
    if (zeroSpread) zeroSpreadRecords.push(r);
  }
  return { scores, zeroSpreadRecords };
}

function checkShapes(input: LiraInput): void {
  const { records, shadows, queries } = input;
  if (!(records >= 1 && shadows >= 1 && queries >= 1)) {
    throw new RangeError(`LiRA: need at least one record, shadow and query, got ${records}, ${shadows}, ${queries}`);
  }
  if (input.target.length !== records * queries) throw new Error(`LiRA: target has ${input.target.length} values, expected ${records} x ${queries}`);
  if (input.shadow.length !== records * shadows * queries) {
    throw new Error(`LiRA: shadow has ${input.shadow.length} values, expected ${records} x ${shadows} x ${queries}`);
  }
  if (input.keep.length !== records * shadows) throw new Error(`LiRA: keep has ${input.keep.length} values, expected ${records} x ${shadows}`);
}

/** Standard deviation of every IN (or OUT) shadow statistic, over records, shadows and queries. */
function pooledStandardDeviation(input: LiraInput, side: typeof IN | typeof OUT): number {
  const { records, shadows, queries, shadow, keep } = input;
  let count = 0;
  for (let i = 0; i < keep.length; i++) if ((keep[i] ? IN : OUT) === side) count++;
  const values = new Float64Array(count * queries);
  let n = 0;
  for (let r = 0; r < records; r++) {
    for (let s = 0; s < shadows; s++) {
      if ((keep[r * shadows + s] ? IN : OUT) !== side) continue;
      for (let q = 0; q < queries; q++) values[n++] = shadow[(r * shadows + s) * queries + q];
    }
  }
  return standardDeviation(values, n);
}
