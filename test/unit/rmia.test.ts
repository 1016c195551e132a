import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RMIA_DEFAULT_GAMMA, RMIA_DEFAULT_OFFLINE_A, rmiaScores, type RmiaInput } from '../../src/engine/attacks/rmia';
import { rocAucScore } from '../../src/engine/metrics';

// Reference scores from scripts/make-lira-fixtures.py: a brute-force numpy RMIA (the full
// records x population likelihood-ratio matrix compared with gamma).
interface RmiaFixtureCase {
  name: string;
  targetProb: number[];
  referenceProb: number[][];
  populationTargetProb: number[];
  populationReferenceProb: number[][];
  keep: boolean[][];
  membership: boolean[];
  expected: { mode: 'offline' | 'online'; offlineA: number; gamma: number; useKeep: boolean; scores: number[] }[];
}

const CASES = (JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'lira', 'rmia.json'), 'utf8')) as { cases: RmiaFixtureCase[] }).cases;

function toInput(c: RmiaFixtureCase, useKeep: boolean): RmiaInput {
  return {
    targetProb: Float64Array.from(c.targetProb),
    referenceProb: Float64Array.from(c.referenceProb.flat()),
    populationTargetProb: Float64Array.from(c.populationTargetProb),
    populationReferenceProb: Float64Array.from(c.populationReferenceProb.flat()),
    references: c.referenceProb[0].length,
    keep: useKeep ? Uint8Array.from(c.keep.flat(), Number) : undefined,
  };
}

/** Population of four records, all reference probabilities 0.5, so online ratios are 2 p. */
function tiny(targetProb: number[], keep?: number[]): RmiaInput {
  return {
    targetProb: Float64Array.from(targetProb),
    referenceProb: new Float64Array(targetProb.length * 2).fill(0.5),
    populationTargetProb: Float64Array.from([0.2, 0.4, 0.4, 0.8]),
    populationReferenceProb: new Float64Array(8).fill(0.5),
    references: 2,
    keep: keep ? Uint8Array.from(keep) : undefined,
  };
}

describe('RMIA against the numpy brute force', () => {
  for (const c of CASES) {
    for (const e of c.expected) {
      test(`${c.name}: ${e.mode}, a = ${e.offlineA}, gamma = ${e.gamma}${e.useKeep ? '' : ', no keep'}`, () => {
        const scores = rmiaScores(toInput(c, e.useKeep), { mode: e.mode, offlineA: e.offlineA, gamma: e.gamma });
        assert.equal(scores.length, e.scores.length, 'one score per record');
        // Scores are counts / population size: they must agree exactly up to the division.
        e.scores.forEach((expected, i) => assert.ok(Math.abs(scores[i] - expected) < 1e-12, `record ${i}: ${scores[i]} vs ${expected}`));
      });
    }
  }

  test('offline RMIA with the defaults beats the raw target probability on the planted signal', () => {
    const c = CASES.find((x) => x.name === 'rmia-large')!;
    const scores = rmiaScores(toInput(c, true), { mode: 'offline', offlineA: RMIA_DEFAULT_OFFLINE_A, gamma: RMIA_DEFAULT_GAMMA });
    const auc = rocAucScore(scores, c.membership);
    const baseline = rocAucScore(c.targetProb, c.membership);
    assert.ok(auc > baseline + 0.05, `RMIA AUC ${auc} vs raw probability ${baseline}`);
  });
});

describe('RMIA semantics', () => {
  test('the comparison with gamma is strict and counts population records, ties included', () => {
    // x's ratio 0.8 equals two population ratios: only the 0.4 one is strictly below.
    const online = { mode: 'online' as const, offlineA: 0.3, gamma: 1 };
    assert.deepEqual(Array.from(rmiaScores(tiny([0.4]), online)), [0.25]);
    assert.deepEqual(Array.from(rmiaScores(tiny([0.9, 0.1]), online)), [1, 0]);
    // gamma = 0.5: LR > 0.5 means the population ratio is below 1.6: three of four.
    assert.deepEqual(Array.from(rmiaScores(tiny([0.4]), { ...online, gamma: 0.5 })), [0.75]);
  });

  test('offline uses Pr(x) = ((1 + a) Pr_out(x) + 1 - a) / 2 over OUT models only; online ignores keep', () => {
    // Reference probabilities of record 0: model 0 trained on it (IN) and says 0.9, model 1 says 0.3.
    const input: RmiaInput = {
      targetProb: Float64Array.from([0.6]),
      referenceProb: Float64Array.from([0.9, 0.3]),
      populationTargetProb: Float64Array.from([0.1, 0.3, 0.5, 0.7, 0.9]),
      populationReferenceProb: Float64Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
      references: 2,
      keep: Uint8Array.from([1, 0]),
    };
    const a = 0.5;
    const prX = 0.5 * ((1 + a) * 0.3 + (1 - a)); // 0.475, from model 1 alone
    const prZ = 0.5 * ((1 + a) * 0.5 + (1 - a)); // 0.625
    const expected = input.populationTargetProb.filter((p) => 0.6 / prX / (p / prZ) > 1).length / 5;
    assert.equal(expected, 0.8, 'the hand computation separates the population');
    assert.deepEqual(Array.from(rmiaScores(input, { mode: 'offline', offlineA: a, gamma: 1 })), [expected]);
    const online = { mode: 'online' as const, offlineA: a, gamma: 1 };
    assert.deepEqual(Array.from(rmiaScores(input, online)), Array.from(rmiaScores({ ...input, keep: undefined }, online)), 'online averages every model');
    // Online Pr(x) = 0.6 and Pr(z) = 0.5: ratio 1 beats population ratios below 1 (0.1, 0.3).
    assert.deepEqual(Array.from(rmiaScores(input, online)), [0.4]);
  });

  test('probabilities of 0 are floored at 1e-30 instead of dividing 0 by 0', () => {
    // a = 1 makes Pr(x) = Pr_out(x) = 0 here: unfloored, record 0's ratio would be 0/0 = NaN
    // and lose every comparison; floored it is 1 and beats population ratios 0.4, 0.8, 0.8.
    const input = { ...tiny([0, 0.4]), referenceProb: new Float64Array(4) };
    assert.deepEqual(Array.from(rmiaScores(input, { mode: 'offline', offlineA: 1, gamma: 1 })), [0.75, 1]);
  });

  test('offline rejects a record with no OUT reference model and bad parameters', () => {
    assert.throws(() => rmiaScores(tiny([0.4], [1, 1]), { mode: 'offline', offlineA: 0.3, gamma: 1 }), /record 0 has no OUT reference model/);
    assert.throws(() => rmiaScores(tiny([0.4]), { mode: 'offline', offlineA: 1.5, gamma: 1 }), /offline a must be in \[0, 1\]/);
    assert.throws(() => rmiaScores(tiny([0.4]), { mode: 'offline', offlineA: 0.3, gamma: 0 }), /gamma must be positive/);
  });
});
