import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniformRandom as seededRandom } from '../../src/engine/random';
import {
  REPORTED_FPRS,
  clopperPearson,
  computeAttackMetrics,
  computeRoc,
  countClasses,
  countsAtPoint,
  empiricalEpsilonLowerBound,
  incompleteBeta,
  inverseRegularizedIncompleteBeta,
  jensenShannonDistance,
  jensenShannonDistanceOfCounts,
  lnGamma,
  membershipAdvantage,
  operatingPoint,
  reportRocIndices,
  rocAuc,
  rocAucScore,
  scoreHistogram,
  type RocCurve,
} from '../../src/engine/metrics';

// Reference values come from scripts/make-metrics-fixtures.py (sklearn, scipy, numpy).
const FIXTURES = join(__dirname, '..', 'fixtures', 'metrics');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs expected ${expected} (tolerance ${tolerance})`);
}

function assertRelClose(actual: number, expected: number, relTolerance: number, what: string): void {
  assertClose(actual, expected, relTolerance * Math.abs(expected), what);
}


function seededNormal(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Members' scores shifted by `shift`, optionally rounded to `decimals` to create ties. */
function syntheticAttack(seed: number, members: number, nonMembers: number, shift: number, decimals?: number) {
  const normal = seededNormal(seed);
  const round = (v: number) => (decimals === undefined ? v : Number(v.toFixed(decimals)));
  const scores: number[] = [];
  const membership: boolean[] = [];
  for (let i = 0; i < members; i++) {
    scores.push(round(normal() + shift));
    membership.push(true);
  }
  for (let i = 0; i < nonMembers; i++) {
    scores.push(round(normal()));
    membership.push(false);
  }
  return { scores, membership, counts: { members, nonMembers } };
}

interface RocCase {
  name: string;
  scores: number[];
  membership: boolean[];
  fpr: number[];
  tpr: number[];
  thresholdsAfterFirst: number[];
  auc: number;
}

describe('computeRoc and rocAuc against sklearn', () => {
  const { cases } = fixture<{ cases: RocCase[] }>('roc-cases.json');

  test('the fixtures cover the cases the ROC must get right', () => {
    const names = cases.map((c) => c.name);
    for (const required of ['ties-across-classes', 'constant-scores', 'perfectly-inverted', 'all-members-above', 'integer-scores', 'random-3000-rounded']) {
      assert.ok(names.includes(required), required);
    }
  });

  for (const c of cases) {
    test(`${c.name}: every point, threshold and the AUC`, () => {
      const roc = computeRoc(c.scores, c.membership);
      assert.equal(roc.fpr.length, c.fpr.length);
      assert.equal(roc.tpr.length, c.tpr.length);
      c.fpr.forEach((f, i) => assertClose(roc.fpr[i], f, 1e-12, `fpr[${i}]`));
      c.tpr.forEach((t, i) => assertClose(roc.tpr[i], t, 1e-12, `tpr[${i}]`));
      assert.equal(roc.thresholds[0], Infinity);
      assert.deepEqual(roc.thresholds.slice(1), c.thresholdsAfterFirst);
      assertClose(rocAuc(roc), c.auc, 1e-12, 'auc');
      assertClose(rocAucScore(c.scores, c.membership), c.auc, 1e-12, 'rocAucScore');
    });
  }
});

describe('computeRoc beyond sklearn', () => {
  test('±Infinity scores are ordinary ordered values', () => {
    const roc = computeRoc([Infinity, 2, -Infinity, 2, -Infinity], [true, false, false, true, true]);
    assert.deepEqual(roc.fpr, [0, 0, 0.5, 1]);
    assert.deepEqual(roc.tpr, [0, 1 / 3, 2 / 3, 1]);
    assert.deepEqual(roc.thresholds, [Infinity, Infinity, 2, -Infinity]);
    // Mann-Whitney by hand: 4 of 6 member/non-member pairs, the two ties counting half.
    assertClose(rocAuc(roc), 2 / 3, 1e-15, 'auc');
  });

  test('typed arrays are accepted', () => {
    const roc = computeRoc(Float64Array.from([0.9, 0.1]), [true, false]);
    assert.deepEqual(roc.tpr, [0, 1, 1]);
  });

  test('AUC equals the Mann-Whitney pair count, ties half, on random tied data', () => {
    const { scores, membership } = syntheticAttack(11, 300, 200, 0.3, 1);
    let wins = 0;
    for (let i = 0; i < scores.length; i++) {
      if (!membership[i]) continue;
      for (let j = 0; j < scores.length; j++) {
        if (membership[j]) continue;
        wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
    assertClose(rocAucScore(scores, membership), wins / (300 * 200), 1e-14, 'auc');
  });

  test('a NaN score is reported with its index', () => {
    assert.throws(() => computeRoc([0.1, 0.2, NaN], [true, false, true]), /score at index 2 is NaN/);
    assert.throws(() => rocAucScore([NaN, 0], [true, false]), /index 0 is NaN/);
  });

  test('length mismatch, a missing class and non-boolean labels are errors', () => {
    assert.throws(() => computeRoc([0.1, 0.2, 0.3], [true, false]), /3 scores but 2 membership labels/);
    assert.throws(() => computeRoc([0.1, 0.2], [false, false]), /no members/);
    assert.throws(() => computeRoc([0.1, 0.2], [true, true]), /no non-members/);
    assert.throws(() => computeRoc([], []), /no members/);
    assert.throws(() => computeRoc([0.1, 0.2], [1, 0] as unknown as boolean[]), /membership at index 0 is 1/);
  });

  test('countClasses counts members and non-members', () => {
    assert.deepEqual(countClasses([true, false, false, true, false]), { members: 2, nonMembers: 3 });
  });
});

describe('Clopper-Pearson and the incomplete beta against scipy', () => {
  interface CpCase {
    k: number;
    n: number;
    confidence: number;
    lower: number;
    upper: number;
  }
  const { cases } = fixture<{ cases: CpCase[] }>('clopper-pearson.json');

  test(`${cases.length} intervals match beta.ppf to 1e-9 relative`, () => {
    assert.ok(cases.length > 400);
    for (const c of cases) {
      const interval = clopperPearson(c.k, c.n, c.confidence);
      const what = `k=${c.k} n=${c.n} confidence=${c.confidence}`;
      if (c.k === 0) assert.equal(interval.lower, 0, what);
      else assertRelClose(interval.lower, c.lower, 1e-9, `${what} lower`);
      if (c.k === c.n) assert.equal(interval.upper, 1, what);
      else assertRelClose(interval.upper, c.upper, 1e-9, `${what} upper`);
    }
  });

  test('edge counts have closed forms: upper(0, n) = 1 - (alpha/2)^(1/n), lower(n, n) = (alpha/2)^(1/n)', () => {
    for (const n of [1, 7, 1000, 1_000_000]) {
      const closed = Math.pow(0.025, 1 / n);
      // A tiny upper quantile above the Beta mean is found through 1 - x, which costs
      // ~1e-17 / x relative: 2.5e-12 at n = 10^6.
      const tolerance = n >= 1_000_000 ? 1e-11 : 1e-13;
      assertRelClose(clopperPearson(0, n).upper, -Math.expm1(Math.log(0.025) / n), tolerance, `upper n=${n}`);
      assertRelClose(clopperPearson(n, n).lower, closed, 1e-12, `lower n=${n}`);
    }
  });

  test('intervals contain k/n and widen with confidence', () => {
    for (const [k, n] of [[0, 5], [3, 10], [17, 1000], [999, 1000], [50, 50]]) {
      const i95 = clopperPearson(k, n);
      const i99 = clopperPearson(k, n, 0.99);
      assert.ok(i95.lower <= k / n && k / n <= i95.upper, `${k}/${n}`);
      assert.ok(i99.lower <= i95.lower && i95.upper <= i99.upper, `${k}/${n} nested`);
      assert.ok(i95.lower < i95.upper);
    }
  });

  test('invalid counts and confidence are rejected', () => {
    assert.throws(() => clopperPearson(6, 5), /k must be an integer in \[0, 5\]/);
    assert.throws(() => clopperPearson(1.5, 5), /k must be an integer/);
    assert.throws(() => clopperPearson(0, 0), /n must be a positive integer/);
    assert.throws(() => clopperPearson(1, 5, 1), /confidence must be in \(0, 1\)/);
  });

  interface BetaFixture {
    values: { x: number; a: number; b: number; value: number; complement: number }[];
    quantiles: { p: number; a: number; b: number; x: number }[];
  }
  const beta = fixture<BetaFixture>('incomplete-beta.json');

  test('I_x(a, b) and its complement match Boost (scipy beta.cdf/sf)', () => {
    for (const c of beta.values) {
      const r = incompleteBeta(c.x, c.a, c.b);
      const what = `x=${c.x} a=${c.a} b=${c.b}`;
      // Boost itself is only good to ~1e-11 absolute at shapes ~5e5 (its cdf is not monotone there).
      const absolute = Math.max(c.a, c.b) > 1e5 ? 1e-10 : 1e-300;
      assertClose(r.value, c.value, Math.max(1e-9 * c.value, absolute), `${what} value`);
      // scipy's sf returns exactly 1 where 1 - 1e-10 is right; 1e-9 relative absorbs that.
      assertClose(r.complement, c.complement, Math.max(1e-9 * c.complement, absolute), `${what} complement`);
    }
  });

  test('the inverse matches beta.ppf to 1e-9 relative, including non-integer shapes', () => {
    for (const c of beta.quantiles) {
      assertRelClose(inverseRegularizedIncompleteBeta(c.p, c.a, c.b), c.x, 1e-9, `p=${c.p} a=${c.a} b=${c.b}`);
    }
  });

  test('lnGamma at known values', () => {
    // Small arguments are shifted up to 10 and the product's log subtracted: ~1e-15 absolute.
    assertClose(lnGamma(1), 0, 1e-14, 'lnGamma(1)');
    assertClose(lnGamma(2), 0, 1e-14, 'lnGamma(2)');
    assertRelClose(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'lnGamma(1/2)');
    assertRelClose(lnGamma(10), Math.log(362880), 1e-15, 'lnGamma(10)');
    let logFactorial = 0;
    for (let i = 2; i < 200; i++) logFactorial += Math.log(i);
    assertRelClose(lnGamma(200), logFactorial, 1e-14, 'lnGamma(200)');
  });
});

describe('operating points', () => {
  // Non-members score 0..9; members 9.5, 8.5, 7.5, 3.5, 0.5.
  const scores = [9.5, 8.5, 7.5, 3.5, 0.5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const membership = scores.map((_, i) => i < 5);
  const counts = { members: 5, nonMembers: 10 };
  const roc = computeRoc(scores, membership);

  test('the largest TPR with FPR <= target, with its threshold and counts', () => {
    const p = operatingPoint(roc, counts, 0.1);
    assert.deepEqual(
      { tpr: p.tpr, fpr: p.fpr, threshold: p.threshold, tp: p.truePositives, fp: p.falsePositives, measurable: p.measurable },
      { tpr: 0.4, fpr: 0.1, threshold: 8.5, tp: 2, fp: 1, measurable: true },
    );
    assert.deepEqual(p.tprInterval, clopperPearson(2, 5));
    assert.deepEqual(p.fprInterval, clopperPearson(1, 10));
    const q = operatingPoint(roc, counts, 0.25);
    assert.deepEqual([q.tpr, q.fpr, q.threshold], [0.6, 0.2, 7.5]);
  });

  test('a target below 1/nonMembers is flagged unmeasurable and falls back to FPR 0', () => {
    const p = operatingPoint(roc, counts, 0.05);
    assert.equal(p.measurable, false);
    assert.deepEqual([p.tpr, p.fpr, p.threshold, p.truePositives, p.falsePositives], [0.2, 0, 9.5, 1, 0]);
    assert.equal(operatingPoint(roc, counts, 0.1).measurable, true, 'exactly 1/n is measurable');
  });

  test('the rule holds against a brute-force scan on tied random data', () => {
    const data = syntheticAttack(5, 700, 900, 0.8, 2);
    const big = computeRoc(data.scores, data.membership);
    for (const target of [0, 0.0001, 0.001, 1 / 900, 0.003, 0.01, 0.1, 0.5, 1]) {
      let best = -1;
      big.fpr.forEach((f, i) => {
        if (f <= target) best = Math.max(best, big.tpr[i]);
      });
      const p = operatingPoint(big, data.counts, target);
      assert.equal(p.tpr, best, `target ${target}`);
      assert.ok(p.fpr <= target);
      assert.equal(p.measurable, target >= 1 / 900, `measurable at ${target}`);
    }
  });

  test('targets outside [0, 1] are rejected', () => {
    assert.throws(() => operatingPoint(roc, counts, -0.1), /targetFpr must be in \[0, 1\]/);
    assert.throws(() => operatingPoint(roc, counts, NaN), /targetFpr/);
  });
});

describe('membership advantage and PPV', () => {
  test('the sklearn example: max |TPR - FPR| = 0.5 first reached at threshold 0.8', () => {
    const roc = computeRoc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]);
    const a = membershipAdvantage(roc, { members: 2, nonMembers: 2 });
    assert.deepEqual(a, { advantage: 0.5, ppv: 1, index: 1, threshold: 0.8, inverted: false });
  });

  test('PPV counts precision at the maximising threshold', () => {
    // Members 5, 4, 1; non-members 3, 2, 0: best is "score >= 4" (TPR 2/3, FPR 0), then ">= 1" (TPR 1, FPR 2/3).
    const roc = computeRoc([5, 4, 1, 3, 2, 0], [true, true, true, false, false, false]);
    const a = membershipAdvantage(roc, { members: 3, nonMembers: 3 });
    assertClose(a.advantage, 2 / 3, 1e-15, 'advantage');
    assert.equal(a.threshold, 4);
    assert.equal(a.ppv, 1);
  });

  test('inverted scores: full advantage for the attacker who flips the rule', () => {
    const roc = computeRoc([0.1, 0.2, 0.8, 0.9], [true, true, false, false]);
    const a = membershipAdvantage(roc, { members: 2, nonMembers: 2 });
    assert.equal(a.advantage, 1);
    assert.equal(a.inverted, true);
    assert.equal(a.ppv, 1);
  });

  test('no signal: zero advantage and the base rate as PPV', () => {
    const roc = computeRoc([1, 1, 1, 1, 1], [true, false, false, true, false]);
    const a = membershipAdvantage(roc, { members: 2, nonMembers: 3 });
    assert.equal(a.advantage, 0);
    assertClose(a.ppv, 2 / 5, 1e-15, 'ppv');
  });
});

describe('empirical epsilon lower bound', () => {
  /** Every threshold, no pruning: the definition written out. */
  function bruteForceEpsilon(roc: RocCurve, counts: { members: number; nonMembers: number }, delta: number): number {
    let best = 0;
    for (let i = 0; i < roc.fpr.length; i++) {
      const { truePositives, falsePositives } = countsAtPoint(roc, counts, i);
      const fprUpper = clopperPearson(falsePositives, counts.nonMembers).upper;
      const fnrUpper = clopperPearson(counts.members - truePositives, counts.members).upper;
      for (const [u, v] of [[fprUpper, fnrUpper], [fnrUpper, fprUpper]]) {
        if (1 - delta - u > 0) best = Math.max(best, Math.log((1 - delta - u) / v));
      }
    }
    return best;
  }

  test('perfect separation of 1000 vs 1000 gives ln((1-u)/u), u the 95% upper bound on FPR = 0', () => {
    const n = 1000;
    const scores = Array.from({ length: 2 * n }, (_, i) => (i < n ? 1 + i : -i));
    const membership = scores.map((_, i) => i < n);
    const counts = { members: n, nonMembers: n };
    const bound = empiricalEpsilonLowerBound(computeRoc(scores, membership), counts, 0);
    const u = 1 - Math.pow(0.025, 1 / n);
    assertRelClose(bound.epsilon, Math.log((1 - u) / u), 1e-12, 'epsilon');
    assert.ok(bound.epsilon > Math.log(n) - 2 && bound.epsilon < Math.log(n), `about ln(n): ${bound.epsilon}`);
    assert.deepEqual([bound.fpr, bound.fnr, bound.threshold], [0, 0, 1]);
    assertRelClose(bound.fprUpper, u, 1e-12, 'fprUpper');
    const withDelta = empiricalEpsilonLowerBound(computeRoc(scores, membership), counts, 1e-3);
    assert.ok(withDelta.epsilon < bound.epsilon, 'delta loosens the bound');
  });

  test('scores with no signal give (close to) zero', () => {
    const data = syntheticAttack(3, 2000, 2000, 0);
    const bound = empiricalEpsilonLowerBound(computeRoc(data.scores, data.membership), data.counts, 1e-5);
    assert.ok(bound.epsilon >= 0 && bound.epsilon < 0.1, `epsilon ${bound.epsilon}`);
  });

  test('constant scores give exactly zero and the "predict nobody" point', () => {
    const roc = computeRoc([0, 0, 0, 0], [true, false, true, false]);
    const bound = empiricalEpsilonLowerBound(roc, { members: 2, nonMembers: 2 }, 0);
    assert.deepEqual([bound.epsilon, bound.threshold, bound.fpr, bound.fnr], [0, Infinity, 0, 1]);
  });

  test('the pruned search finds what scanning every threshold finds', () => {
    for (const [seed, shift, decimals] of [[1, 1.5, undefined], [2, 3, 1], [4, 0.5, 2], [9, 2.5, undefined]] as const) {
      const data = syntheticAttack(seed, 400, 300, shift, decimals);
      const roc = computeRoc(data.scores, data.membership);
      const bound = empiricalEpsilonLowerBound(roc, data.counts, 1e-5);
      assertClose(bound.epsilon, bruteForceEpsilon(roc, data.counts, 1e-5), 1e-12, `seed ${seed}`);
      assert.ok(bound.epsilon > 0, `seed ${seed} has signal`);
    }
    // Many small curves: wherever the optimum sits, branch-and-bound must not prune it away.
    for (let seed = 100; seed < 160; seed++) {
      const data = syntheticAttack(seed, 20 + (seed % 7) * 5, 25 + (seed % 5) * 6, 0.5 + (seed % 4) * 0.7, seed % 3 === 0 ? 1 : undefined);
      const roc = computeRoc(data.scores, data.membership);
      const bound = empiricalEpsilonLowerBound(roc, data.counts, 0);
      assertClose(bound.epsilon, bruteForceEpsilon(roc, data.counts, 0), 1e-12, `seed ${seed}`);
    }
  });

  test('higher confidence can only lower the bound', () => {
    const data = syntheticAttack(8, 500, 500, 2);
    const roc = computeRoc(data.scores, data.membership);
    const at95 = empiricalEpsilonLowerBound(roc, data.counts, 0).epsilon;
    const at99 = empiricalEpsilonLowerBound(roc, data.counts, 0, 0.99).epsilon;
    assert.ok(at99 < at95, `${at99} < ${at95}`);
  });

  test('delta outside [0, 1) is rejected', () => {
    const roc = computeRoc([1, 0], [true, false]);
    assert.throws(() => empiricalEpsilonLowerBound(roc, { members: 1, nonMembers: 1 }, 1), /delta must be in \[0, 1\)/);
  });
});

describe('histograms and Jensen-Shannon distance', () => {
  interface JsCase {
    name: string;
    a: number[];
    b: number[];
    bins: number;
    edges: number[];
    countsA: number[];
    countsB: number[];
    distance: number;
  }
  const { cases } = fixture<{ cases: JsCase[] }>('js-distance.json');

  for (const c of cases) {
    test(`${c.name}: numpy's bins and counts, scipy's distance`, () => {
      const h = scoreHistogram(c.a, c.b, c.bins);
      assert.deepEqual(h.edges, c.edges);
      assert.deepEqual(h.members, c.countsA);
      assert.deepEqual(h.nonMembers, c.countsB);
      assertClose(jensenShannonDistance(c.a, c.b, c.bins), c.distance, 1e-12, 'distance');
    });
  }

  test('identical samples are at distance 0, disjoint ones at 1', () => {
    const sample = [0.1, 0.5, 0.5, 0.9, 2.0];
    assert.equal(jensenShannonDistance(sample, [...sample]), 0);
    assertClose(jensenShannonDistance([0, 0.5, 1], [10, 10.5, 11]), 1, 1e-15, 'disjoint');
    assertClose(jensenShannonDistanceOfCounts([3, 0], [0, 7]), 1, 1e-15, 'disjoint counts');
  });

  test('±Infinity is clamped into the end bins and the edges stay finite', () => {
    const h = scoreHistogram([-Infinity, 0, 1, Infinity], [0.5], 4);
    assert.deepEqual(h.edges, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(h.members, [2, 0, 0, 2]);
    assert.deepEqual(h.nonMembers, [0, 0, 1, 0]);
    const onlyInfinite = scoreHistogram([Infinity], [-Infinity], 2);
    assert.deepEqual(onlyInfinite, { edges: [-0.5, 0, 0.5], members: [0, 1], nonMembers: [1, 0] });
  });

  test('a single repeated value gets a unit-wide range, as numpy does', () => {
    assert.deepEqual(scoreHistogram([3, 3], [3], 1), { edges: [2.5, 3.5], members: [2], nonMembers: [1] });
  });

  test('NaN, empty samples and bad bin counts are errors', () => {
    assert.throws(() => scoreHistogram([0, NaN], [1]), /index 1 of sample 0 is NaN/);
    assert.throws(() => scoreHistogram([0], [1], 0), /bins must be a positive integer/);
    assert.throws(() => jensenShannonDistance([], [1]), /non-empty/);
    assert.throws(() => jensenShannonDistanceOfCounts([1, 2], [1]), /2 bins against 1/);
  });
});

describe('computeAttackMetrics', () => {
  test('fills every field from one ROC', () => {
    const data = syntheticAttack(21, 120, 150, 1, 2);
    const m = computeAttackMetrics(data.scores, data.membership);
    const roc = computeRoc(data.scores, data.membership);
    const advantage = membershipAdvantage(roc, data.counts);
    assert.equal(m.members, 120);
    assert.equal(m.nonMembers, 150);
    assert.equal(m.auc, rocAuc(roc));
    assert.equal(m.advantage, advantage.advantage);
    assert.equal(m.ppv, advantage.ppv);
    assert.deepEqual(Object.keys(m.tprAtFpr), [...REPORTED_FPRS]);
    for (const key of REPORTED_FPRS) assert.deepEqual(m.tprAtFpr[key], operatingPoint(roc, data.counts, Number(key)));
    assert.equal(m.tprAtFpr['0.01'].measurable, true);
    assert.equal(m.tprAtFpr['0.001'].measurable, false);
    assert.deepEqual(m.roc, roc.fpr.map((f, i) => [f, roc.tpr[i]]), 'short curves are kept whole');
    assert.equal(m.minMeasurableFpr, 1 / 150);
  });

  test('long curves are thinned to at most 2000 points, keeping endpoints and operating points', () => {
    const data = syntheticAttack(17, 15000, 15000, 0.7);
    const m = computeAttackMetrics(data.scores, data.membership);
    const roc = computeRoc(data.scores, data.membership);
    assert.ok(roc.fpr.length > 20000);
    assert.ok(m.roc.length <= 2000 && m.roc.length > 300, `length ${m.roc.length}`);
    assert.deepEqual(m.roc[0], [0, 0]);
    assert.deepEqual(m.roc[m.roc.length - 1], [1, 1]);
    const kept = new Set(m.roc.map(([f, t]) => `${f},${t}`));
    for (const key of REPORTED_FPRS) {
      const p = m.tprAtFpr[key];
      assert.ok(kept.has(`${p.fpr},${p.tpr}`), `operating point ${key} kept`);
    }
  });

  test('every dropped point stays within 1/600 in TPR and FPR of the kept point before it', () => {
    const data = syntheticAttack(23, 8000, 12000, 1.2);
    const roc = computeRoc(data.scores, data.membership);
    const kept = reportRocIndices(roc, data.counts, []);
    assert.ok(kept.length <= 2000);
    let k = 0;
    for (let i = 0; i < roc.fpr.length; i++) {
      while (k + 1 < kept.length && kept[k + 1] <= i) k++;
      const reference = kept[k];
      assert.ok(roc.tpr[i] - roc.tpr[reference] < 1 / 600 && roc.fpr[i] - roc.fpr[reference] < 1 / 600, `point ${i}`);
    }
    assert.deepEqual(reportRocIndices(roc, data.counts, [], roc.fpr.length), roc.fpr.map((_, i) => i));
  });

  test('input errors surface unchanged', () => {
    assert.throws(() => computeAttackMetrics([0, NaN], [true, false]), /index 1 is NaN/);
  });
});
