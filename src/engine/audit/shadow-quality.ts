/**
 * How the reference (shadow) models fit compared with the target: each shadow's accuracy
 * on the audit records it trained on (IN) and on those it did not (OUT), averaged over
 * shadows. Reference-model attacks calibrate on the shadows, so shadows much less (or
 * more) overfit than the target calibrate them wrongly, and the attack is likely
 * understated.
 */
import type { ShadowQuality } from '../report/schema';
import type { AttackContext } from './attack-context';
import { accuracy } from './record-checks';
import { identityCorrect } from '../attacks/signals';

/** Gaps (train minus test accuracy) further apart than this, in absolute terms... */
export const SHADOW_GAP_TOLERANCE = 0.05;
/** ...and than this fraction of the target's gap, are a finding. */
export const SHADOW_GAP_RELATIVE = 0.5;
/** Test accuracies further apart than this are a finding. */
export const SHADOW_TEST_TOLERANCE = 0.1;

export function shadowAccuracies(
  shadows: { shadows: number; queries: number; numClasses: number; keep: Uint8Array } & (
    | { auditProbabilities: Float32Array[] }
    // The lean form (trainShadowSummaries): whether each record's identity prediction is right.
    | { summaries: { identityCorrect: Uint8Array }[] }),
  labels: Int32Array,
): { train: number; test: number } {
  const { queries, numClasses, keep } = shadows;
  const records = labels.length;
  let train = 0;
  let test = 0;
  let counted = 0;
  // Identity query (the first): the prediction the target is judged by.
  const perShadow = 'summaries' in shadows
    ? shadows.summaries.map((x) => x.identityCorrect)
    : shadows.auditProbabilities.map((probs) => identityCorrect(probs, queries, numClasses, labels));
  perShadow.forEach((correct, s) => {
    let inRight = 0, inCount = 0, outRight = 0, outCount = 0;
    for (let r = 0; r < records; r++) {
      const right = correct[r]!;
      if (keep[r * shadows.shadows + s] === 1) (inRight += right), inCount++;
      else (outRight += right), outCount++;
    }
    if (inCount === 0 || outCount === 0) return;
    train += inRight / inCount;
    test += outRight / outCount;
    counted++;
  });
  return counted === 0 ? { train: NaN, test: NaN } : { train: train / counted, test: test / counted };
}

export function judgeShadowQuality(shadow: { train: number; test: number }, target: { train: number; test: number }, count: number): ShadowQuality {
  const shadowGap = shadow.train - shadow.test;
  const targetGap = target.train - target.test;
  const gapApart = Math.abs(shadowGap - targetGap) > Math.max(SHADOW_GAP_TOLERANCE, SHADOW_GAP_RELATIVE * Math.abs(targetGap));
  const testApart = Math.abs(shadow.test - target.test) > SHADOW_TEST_TOLERANCE;
  return {
    shadows: count,
    shadowTrainAccuracy: shadow.train,
    shadowTestAccuracy: shadow.test,
    targetTrainAccuracy: target.train,
    targetTestAccuracy: target.test,
    mismatch: Number.isFinite(shadowGap) && (gapApart || testApart),
  };
}

/** Undefined when the shadows could not be trained (their attacks' errors say why). */
export async function measureShadowQuality(ctx: AttackContext): Promise<ShadowQuality | undefined> {
  let shadows;
  try {
    shadows = await ctx.shadows();
  } catch {
    return undefined;
  }
  const { members, nonMembers } = ctx.outputs;
  const target = {
    train: accuracy(members.probabilities, members.dataset.labels, ctx.numClasses),
    test: accuracy(nonMembers.probabilities, nonMembers.dataset.labels, ctx.numClasses),
  };
  return judgeShadowQuality(shadowAccuracies(shadows, ctx.auditRecords.labels), target, shadows.shadows);
}

