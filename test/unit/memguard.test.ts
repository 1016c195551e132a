import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { predictedLabels } from '../../src/engine/attacks/signals';
import { rocAucScore } from '../../src/engine/metrics';
import { fitMemGuard, memGuard } from '../../src/engine/defenses/memguard';
import { assertDistributions, CLASSES, overfitOutputs } from './output-defense-fixture';

const members = overfitOutputs(120, 7, 1);
const nonMembers = overfitOutputs(120, 2.5, 2);
const reference = overfitOutputs(120, 2.5, 3);
const defender = { training: members, reference };

function membershipAuc(memberScores: ArrayLike<number>, nonMemberScores: ArrayLike<number>): number {
  const scores = [...Array.from(memberScores), ...Array.from(nonMemberScores)];
  const truth = scores.map((_, i) => i < memberScores.length);
  return rocAucScore(scores, truth);
}

describe('MemGuard', () => {
  const defense = fitMemGuard(defender, CLASSES, { epsilon: 2, seed: 11 });
  const defendedMembers = defense.defend(members, 0);
  const defendedNonMembers = defense.defend(nonMembers, 1);

  test('the defender attack model separates members before the defense and not after', () => {
    const before = membershipAuc(defense.attackScores(members), defense.attackScores(nonMembers));
    const after = membershipAuc(defense.attackScores(defendedMembers.probabilities), defense.attackScores(defendedNonMembers.probabilities));
    assert.ok(before > 0.9, `AUC of the defender's attack before the defense is ${before}, expected > 0.9 on the overfit fixture`);
    assert.ok(Math.abs(after - 0.5) < 0.1, `AUC after the defense is ${after}, expected within 0.1 of 0.5 (before: ${before})`);
    // The adversarial examples sit on the attack's decision boundary.
    const scores = defense.attackScores(defendedMembers.probabilities);
    const onBoundary = scores.filter((s) => Math.abs(s) < 1e-3).length;
    assert.ok(onBoundary >= 0.9 * scores.length, `${onBoundary} of ${scores.length} defended member scores are within 1e-3 of 0`);
  });

  test('keeps every predicted label and serves distributions', () => {
    for (const [original, defended, what] of [[members, defendedMembers, 'members'], [nonMembers, defendedNonMembers, 'non-members']] as const) {
      assert.deepEqual(predictedLabels(defended.probabilities, CLASSES), predictedLabels(original, CLASSES), `${what}: predicted labels changed`);
      assertDistributions(defended.probabilities, what);
      assert.ok(defended.applied.some((a) => a === 1), `${what}: the noise was never applied`);
    }
  });

  test('respects the expected L1 budget and randomises as in phase II', () => {
    const epsilon = 0.1;
    const small = fitMemGuard(defender, CLASSES, { epsilon, seed: 11 }).defend(members, 0);
    let realised = 0;
    for (let r = 0; r < small.noiseL1.length; r++) {
      const expected = small.applyProbability[r] * small.noiseL1[r];
      assert.ok(expected <= epsilon + 1e-12, `record ${r}: expected distortion ${expected} exceeds epsilon ${epsilon}`);
      let l1 = 0;
      for (let c = 0; c < CLASSES; c++) l1 += Math.abs(small.probabilities[r * CLASSES + c] - members[r * CLASSES + c]);
      if (small.applied[r]) assert.ok(Math.abs(l1 - small.noiseL1[r]) < 1e-5, `record ${r}: served distortion ${l1} is not the crafted ${small.noiseL1[r]}`);
      else assert.ok(l1 < 1e-6, `record ${r}: not applied, yet moved by ${l1}`);
      realised += l1;
    }
    const mean = realised / small.noiseL1.length;
    // Bernoulli sum: mean of n draws of at most 2 each exceeds epsilon by 3 sd with tiny probability.
    const sd = Math.sqrt(small.noiseL1.reduce((a, d, r) => a + small.applyProbability[r] * d * d, 0)) / small.noiseL1.length;
    assert.ok(mean <= epsilon + 3 * sd, `mean served distortion ${mean} above epsilon ${epsilon} + 3 sd (${sd})`);
    const crafted = small.noiseL1.filter((d) => d > epsilon).length;
    assert.ok(crafted > 0, 'the fixture needs rows whose crafted noise exceeds the budget');
    const partly = small.applyProbability.filter((q) => q < 1).length;
    assert.equal(partly, crafted, 'rows over budget are applied with probability < 1');
    assert.ok(small.applied.some((a) => a === 0), 'some over-budget rows are served undefended');
  });

  test('is deterministic given the seed; memGuard is the one-call form', () => {
    const again = memGuard(members, CLASSES, defender, { epsilon: 2, seed: 11 });
    assert.deepEqual(again, defendedMembers.probabilities, 'same seed, same output');
    const other = memGuard(members, CLASSES, defender, { epsilon: 2, seed: 12 });
    assert.notDeepEqual(other, defendedMembers.probabilities, 'another seed changes the output');
  });

  test('rejects impossible settings and malformed rows', () => {
    assert.throws(() => fitMemGuard(defender, CLASSES, { epsilon: 0, seed: 1 }), /epsilon must be in \(0, 2\]/);
    assert.throws(() => fitMemGuard(defender, CLASSES, { epsilon: 3, seed: 1 }), /epsilon/);
    assert.throws(() => fitMemGuard({ training: new Float32Array(0), reference }, CLASSES, { epsilon: 1, seed: 1 }), /needs training and reference outputs/);
    assert.throws(() => defense.defend(new Float32Array(7)), /not a multiple of numClasses/);
    assert.throws(() => fitMemGuard(defender, CLASSES, { epsilon: 1, seed: 1, hiddenUnits: 0 }), /hiddenUnits must be an integer >= 1, got 0/);
    assert.throws(() => fitMemGuard(defender, CLASSES, { epsilon: 1, seed: 1, maxSteps: 2.5 }), /maxSteps must be an integer >= 1/);
    assert.throws(() => fitMemGuard(defender, CLASSES, { epsilon: 1, seed: 1, stepSize: -1 }), /stepSize must be a finite number > 0/);
    assert.throws(() => defense.defend(Float32Array.from([0.5, 0.5, NaN, 0, 0])), /record 0, class 2 is NaN/);
  });
});
