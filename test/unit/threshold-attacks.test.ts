import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runThresholdAttack } from '../../src/engine/attacks/threshold';
import { EmpiricalCdf } from '../../src/engine/attacks/empirical-cdf';

const group = (scores: number[], labels: number[]) => ({ scores: Float64Array.from(scores), labels: Int32Array.from(labels) });

test('global threshold passes the signal through', () => {
  const r = runThresholdAttack('threshold', { members: group([3, 2], [0, 1]), nonMembers: group([1], [0]), numClasses: 2 });
  assert.deepEqual(Array.from(r.memberScores), [3, 2]);
  assert.deepEqual(Array.from(r.nonMemberScores), [1]);
});

test('per-class thresholds separate classes whose score scales differ', () => {
  // Class 0 scores live near 10, class 1 near 0: a global threshold mixes them, per-class does not.
  const members = group([10.5, 10.6, 0.5, 0.6], [0, 0, 1, 1]);
  const nonMembers = group([10.0, 10.1, 0.0, 0.1], [0, 0, 1, 1]);
  const r = runThresholdAttack('threshold-per-class', { members, nonMembers, numClasses: 2 });
  const minMember = Math.min(...r.memberScores);
  const maxNon = Math.max(...r.nonMemberScores);
  assert.ok(minMember > maxNon, 'every member ranks above every non-member after per-class calibration');
  assert.match(r.notes[0], /calibrated on the non-members/);
});

test('population attack sets thresholds at population upper-tail quantiles', () => {
  const pop = Array.from({ length: 1000 }, (_, i) => i); // 0..999
  const r = runThresholdAttack('population', {
    members: group([999.5], [0]), nonMembers: group([0], [0]), population: group(pop, pop.map(() => 0)), numClasses: 1,
  });
  const t = r.calibratedThresholds!;
  assert.deepEqual(t.map((x) => x.targetFpr), [0.01, 0.001]);
  // #(population > t) <= alpha * n
  for (const { targetFpr, threshold } of t) assert.ok(pop.filter((v) => v > threshold).length <= targetFpr * 1000, 'pop.filter((v) => v > threshold).length <= targetFpr * 1000');
  assert.equal(t[0].threshold, 989);
  assert.match(r.notes[0], /0\.0001 cannot be targeted with 1000 population records/);
});

test('population attack without population data is a clear error', () => {
  assert.throws(() => runThresholdAttack('population', { members: group([1], [0]), nonMembers: group([0], [0]), numClasses: 1 }), /needs population data/);
});

test('empirical CDF counts ties half', () => {
  const cdf = new EmpiricalCdf([1, 2, 2, 3]);
  assert.equal(cdf.quantileOf(2), 0.5);
  assert.equal(cdf.quantileOf(0), 0);
  assert.equal(cdf.quantileOf(4), 1);
});
