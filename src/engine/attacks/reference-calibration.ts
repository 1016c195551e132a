/**
 * Difficulty calibration (Watson et al., "On the Importance of Difficulty Calibration in
 * Membership Inference Attacks", ICLR 2022): a record's signal on the target model minus
 * the mean of the same signal on reference models, so records that every model finds easy
 * no longer look like members. The signal must be oriented higher = member (as phi or
 * -loss are); the calibrated score keeps that orientation.
 *
 * Reference models are, per record, the shadows that did not train on it (OUT) when
 * `keep` is given, else all of them (the offline setting: none trained on the audit
 * records). With several queries both means run over every query.
 */
import { countKept, type ShadowSignals } from './shadow-statistics';

export const DIFFICULTY_CALIBRATION_ID = 'difficulty-calibration';

export function difficultyCalibratedScores(input: ShadowSignals): Float64Array {
  const { records, shadows, queries, target, shadow, keep } = input;
  if (target.length !== records * queries || shadow.length !== records * shadows * queries || (keep && keep.length !== records * shadows)) {
    throw new Error(`difficulty calibration: arrays do not match ${records} records x ${shadows} shadows x ${queries} queries`);
  }
  const scores = new Float64Array(records);
  for (let r = 0; r < records; r++) {
    if (keep && countKept(keep, r, shadows) === shadows) throw new Error(`difficulty calibration: record ${r} has no OUT reference model`);
    let targetSum = 0;
    for (let q = 0; q < queries; q++) targetSum += target[r * queries + q];
    let referenceSum = 0;
    let referenceCount = 0;
    for (let s = 0; s < shadows; s++) {
      if (keep && keep[r * shadows + s]) continue;
      for (let q = 0; q < queries; q++) referenceSum += shadow[(r * shadows + s) * queries + q];
      referenceCount += queries;
    }
    scores[r] = targetSum / queries - referenceSum / referenceCount;
  }
  return scores;
}
