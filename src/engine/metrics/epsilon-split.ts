/**
 * An empirical epsilon lower bound that is valid as stated. Taking the best of thousands
 * of thresholds after the fact and then applying a 95% interval as if that threshold had
 * been fixed in advance over-claims: with the membership labels permuted, about one run
 * in ten still "proves" epsilon > 0. Here the threshold is chosen on a seeded random half
 * of the members and of the non-members, and the bound is computed on the other half at
 * that one threshold, so its Clopper-Pearson intervals mean what they say.
 *
 * With one trained model this is a one-run audit in the sense of Steinke et al. (2023):
 * it assumes the records were assigned to members and non-members independently of
 * everything else (as in a randomised experiment) and bounds the epsilon of this one
 * training run on these records, not of the training algorithm in general.
 */
import { shuffleInPlace, uniformRandom } from '../random';
import { clopperPearson } from './clopper-pearson';
import { empiricalEpsilonLowerBound, logRatio } from './epsilon';
import { computeRoc } from './roc';

export interface SplitEpsilonLowerBound {
  /** The bound; 0 when the held-out half proves nothing at the chosen threshold. */
  epsilon: number;
  delta: number;
  /** How the threshold was chosen: on one random half, bounded on the other. */
  method: 'split-half';
  /** Of the Clopper-Pearson intervals the bound uses. */
  confidence: number;
  /** Chosen on the selection half (+Infinity, "predict nobody", when nothing beat chance there). */
  threshold: number;
  /** Records the bound was computed on. */
  evaluation: { members: number; nonMembers: number };
}

/** The records of one side, shuffled by a seeded permutation and cut in two. */
function halves(scores: Float64Array, seed: number): [Float64Array, Float64Array] {
  const order = shuffleInPlace(Int32Array.from(scores, (_, i) => i), uniformRandom(seed));
  const cut = Math.floor(order.length / 2);
  return [Float64Array.from(order.subarray(0, cut), (i) => scores[i]!), Float64Array.from(order.subarray(cut), (i) => scores[i]!)];
}

export function splitHalfEpsilonLowerBound(
  memberScores: Float64Array,
  nonMemberScores: Float64Array,
  delta: number,
  confidence = 0.95,
  seed = 0x5eed,
): SplitEpsilonLowerBound {
  if (!(delta >= 0 && delta < 1)) throw new RangeError(`splitHalfEpsilonLowerBound: delta must be in [0, 1), got ${delta}`);
  const [memberSelect, memberEval] = halves(memberScores, seed);
  const [nonMemberSelect, nonMemberEval] = halves(nonMemberScores, seed + 1);
  const evaluation = { members: memberEval.length, nonMembers: nonMemberEval.length };
  const none = { epsilon: 0, delta, method: 'split-half' as const, confidence, threshold: Infinity, evaluation };
  if (memberSelect.length === 0 || nonMemberSelect.length === 0 || evaluation.members === 0 || evaluation.nonMembers === 0) return none;

  // Selection: the threshold the all-threshold bound picks on the first half.
  const scores = new Float64Array(memberSelect.length + nonMemberSelect.length);
  scores.set(memberSelect);
  scores.set(nonMemberSelect, memberSelect.length);
  const membership = Array.from(scores, (_, i) => i < memberSelect.length);
  const selected = empiricalEpsilonLowerBound(computeRoc(scores, membership), { members: memberSelect.length, nonMembers: nonMemberSelect.length }, delta, confidence);
  if (!Number.isFinite(selected.threshold)) return none;

  // Evaluation: the same rule ("member" when score >= threshold) on the held-out half.
  const threshold = selected.threshold;
  let falseNegatives = 0;
  for (const s of memberEval) if (!(s >= threshold)) falseNegatives++;
  let falsePositives = 0;
  for (const s of nonMemberEval) if (s >= threshold) falsePositives++;
  const fprUpper = clopperPearson(falsePositives, evaluation.nonMembers, confidence).upper;
  const fnrUpper = clopperPearson(falseNegatives, evaluation.members, confidence).upper;
  const bound = Math.max(logRatio(1 - delta, fprUpper, fnrUpper), logRatio(1 - delta, fnrUpper, fprUpper));
  return { ...none, epsilon: Math.max(0, bound), threshold };
}
