import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSignals, predictedLabels } from '../../src/engine/attacks/signals';
import { fitPurifier, purifier, PURIFIER_MAX_FIT_RECORDS } from '../../src/engine/defenses/purifier';
import { evenlySpacedIndices } from '../../src/engine/defenses/confidence-rows';
import { assertDistributions, CLASSES, overfitOutputs } from './output-defense-fixture';

const RECORDS = 120;

const labels = Int32Array.from({ length: RECORDS }, (_, r) => r % CLASSES);
const members = overfitOutputs(RECORDS, 7, 1);
const nonMembers = overfitOutputs(RECORDS, 2.5, 2);
const reference = overfitOutputs(RECORDS, 2.5, 3);

function meanConfidence(probs: Float32Array): number {
  const confidence = computeSignals(probs, CLASSES, labels).confidence;
  return confidence.reduce((a, b) => a + b, 0) / confidence.length;
}

describe('PURIFIER confidence reshaping', () => {
  const defense = fitPurifier(reference, CLASSES, { seed: 5 });
  const shapedMembers = defense.reshape(members);
  const shapedNonMembers = defense.reshape(nonMembers);

  test('the reshaping model learns to reconstruct reference outputs', () => {
    const first = defense.trainingLoss[0];
    const last = defense.trainingLoss[defense.trainingLoss.length - 1];
    assert.ok(last < 0.7 * first, `training loss went from ${first} to ${last}`);
    const shapedReference = defense.reshape(reference);
    let l1 = 0;
    for (let i = 0; i < reference.length; i++) l1 += Math.abs(shapedReference[i] - reference[i]);
    l1 /= RECORDS;
    assert.ok(l1 < 0.25, `mean L1 between reference outputs and their reconstruction is ${l1}`);
  });

  test('shrinks the member / non-member confidence gap on an overfit fixture', () => {
    const before = meanConfidence(members) - meanConfidence(nonMembers);
    const after = meanConfidence(shapedMembers) - meanConfidence(shapedNonMembers);
    assert.ok(before > 0.2, `fixture: confidence gap before is only ${before}`);
    assert.ok(after < 0.85 * before, `confidence gap ${after} after reshaping, ${before} before`);
    assert.ok(meanConfidence(shapedMembers) < meanConfidence(members), 'members come out less confident');
  });

  test('keeps every predicted label and serves distributions', () => {
    for (const [original, shaped, what] of [[members, shapedMembers, 'members'], [nonMembers, shapedNonMembers, 'non-members']] as const) {
      assert.deepEqual(predictedLabels(shaped, CLASSES), predictedLabels(original, CLASSES), `${what}: predicted labels changed`);
      assertDistributions(shaped, what);
    }
    // Ties and zeros: the label is the first largest entry and must stay so.
    const edge = Float32Array.from([0.2, 0.2, 0.2, 0.2, 0.2, 0, 0, 0, 0.5, 0.5, 1, 0, 0, 0, 0]);
    const shapedEdge = defense.reshape(edge);
    assert.deepEqual(predictedLabels(shapedEdge, CLASSES), predictedLabels(edge, CLASSES), 'edge rows: predicted labels changed');
    assertDistributions(shapedEdge, 'edge rows');
  });

  test('is deterministic given the seed', () => {
    assert.deepEqual(purifier(members, CLASSES, reference, { seed: 5 }), shapedMembers, 'same seed, same output');
    assert.notDeepEqual(purifier(members, CLASSES, reference, { seed: 6 }), shapedMembers, 'another seed, another model');
  });

  test('label swapping is off by default and swaps only marked training rows when on', () => {
    const all = Array.from({ length: RECORDS }, () => true);
    assert.deepEqual(defense.reshape(members, all), shapedMembers, 'default: marking rows changes nothing');
    const swapping = fitPurifier(reference, CLASSES, { seed: 5, labelSwapRate: 0.5 });
    const swapped = swapping.reshape(members, all);
    const before = predictedLabels(members, CLASSES);
    const after = predictedLabels(swapped, CLASSES);
    const changed = after.filter((l, r) => l !== before[r]).length;
    assert.ok(changed > 0.3 * RECORDS && changed < 0.7 * RECORDS, `${changed} of ${RECORDS} labels swapped at rate 0.5`);
    assert.deepEqual(predictedLabels(swapping.reshape(nonMembers), CLASSES), predictedLabels(nonMembers, CLASSES), 'unmarked rows keep their label');
    assertDistributions(swapped, 'swapped');
  });

  test('rejects impossible settings and malformed rows', () => {
    assert.throws(() => fitPurifier(reference, CLASSES, { seed: 1.5 }), /seed must be an integer/);
    assert.throws(() => fitPurifier(reference, CLASSES, { seed: 1, labelSwapRate: 2 }), /labelSwapRate must be in \[0, 1\]/);
    assert.throws(() => fitPurifier(new Float32Array(0), CLASSES, { seed: 1 }), /needs reference outputs/);
    assert.throws(() => defense.reshape(Float32Array.from([0.5, 0.5, -1, 0, 0])), /record 0, class 2 is -1/);
    assert.throws(() => defense.reshape(members, [true]), /trainingRows has 1 entries for 120 records/);
    assert.throws(() => fitPurifier(reference, CLASSES, { seed: 1, epochs: 0 }), /epochs must be an integer >= 1, got 0/);
    assert.throws(() => fitPurifier(reference, CLASSES, { seed: 1, learningRate: 0 }), /learningRate must be a finite number > 0/);
  });

  test('fits on a bounded, evenly spaced sample of a large reference set', () => {
    assert.deepEqual(evenlySpacedIndices(5, 10), [0, 1, 2, 3, 4], 'small sets are used whole');
    const picked = evenlySpacedIndices(10_000, 4);
    assert.deepEqual(picked, [0, 2500, 5000, 7500], 'every n/cap-th record');
    assert.equal(evenlySpacedIndices(1_000_000, PURIFIER_MAX_FIT_RECORDS).length, PURIFIER_MAX_FIT_RECORDS, 'capped');
  });
});
