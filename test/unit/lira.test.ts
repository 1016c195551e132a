import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIRA_VARIANTS, liraScores, type LiraInput, type LiraVariant } from '../../src/engine/attacks/lira';
import { difficultyCalibratedScores } from '../../src/engine/attacks/reference-calibration';
import { logNormalCdf, medianInPlace, SIGMA_EPSILON, standardDeviation } from '../../src/engine/attacks/shadow-statistics';
import { rocAucScore } from '../../src/engine/metrics';

// Reference values come from scripts/make-lira-fixtures.py, an independent numpy/scipy
// implementation (np.median, np.std, scipy.stats.norm.logpdf / logcdf).
const FIXTURES = join(__dirname, '..', 'fixtures', 'lira');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

interface ShadowFixture {
  name: string;
  target: number[] | number[][];
  shadow: number[][] | number[][][];
  keep: boolean[][];
  membership: boolean[];
  expected: Record<LiraVariant | 'difficulty-calibration', number[]>;
}

const CASES = ['small.json', 'small-queries.json', 'large.json', 'large-queries.json'].map((f) => fixture<ShadowFixture>(f));

function toInput(c: ShadowFixture): LiraInput {
  const withQueries = Array.isArray(c.target[0]);
  return {
    records: c.target.length,
    shadows: c.shadow[0].length,
    queries: withQueries ? (c.target[0] as number[]).length : 1,
    target: Float64Array.from((c.target as number[][]).flat()),
    shadow: Float64Array.from((c.shadow as number[][][]).flat(2)),
    keep: Uint8Array.from(c.keep.flat(), Number),
  };
}

/**
 * Relative error, measured against max(|expected|, 1e-12): scores are log-likelihood
 * ratios of order 1 and more, so below 1e-12 only the absolute difference means anything.
 * (log Phi's far tail, where tiny values do carry the ranking, is checked purely
 * relatively against scipy in its own test.)
 */
function relativeError(actual: number, expected: number): number {
  if (actual === expected) return 0;
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
}

function maxRelativeError(actual: ArrayLike<number>, expected: number[], what: string): number {
  assert.equal(actual.length, expected.length, `${what}: one score per record`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, relativeError(actual[i], expected[i]));
  return worst;
}

describe('shadow statistics helpers', () => {
  test('median averages the two middle values of an even count, std is ddof 0', () => {
    assert.equal(medianInPlace(Float64Array.from([4, 1, 3, 2, 99]), 4), 2.5, 'median of the first four values only');
    assert.equal(medianInPlace(Float64Array.from([5, -1, 3]), 3), 3);
    assert.ok(Math.abs(standardDeviation(Float64Array.from([1, 2, 3, 4]), 4) - Math.sqrt(1.25)) < 1e-15, 'population std of 1..4 is sqrt(1.25)');
    assert.equal(standardDeviation(Float64Array.from([7]), 1), 0);
  });

  test('log Phi matches scipy.stats.norm.logcdf to 1e-12 relative, from z = -1e5 to 40', () => {
    const table = fixture<{ z: number[]; logcdf: number[] }>('log-normal-cdf.json');
    table.z.forEach((z, i) => {
      const expected = table.logcdf[i];
      const actual = logNormalCdf(z);
      const err = actual === expected ? 0 : Math.abs(actual - expected) / Math.abs(expected);
      assert.ok(err < 1e-12, `log Phi(${z}) = ${actual}, scipy ${expected}, relative error ${err}`);
    });
    assert.equal(logNormalCdf(-Infinity), -Infinity);
    assert.equal(logNormalCdf(Infinity), 0);
    assert.ok(Number.isFinite(logNormalCdf(-1e150)), 'finite while z^2 fits in float64');
  });
});

describe('LiRA against the numpy/scipy reference', () => {
  for (const c of CASES) {
    for (const variant of LIRA_VARIANTS) {
      test(`${c.name}: ${variant} within 1e-6 relative`, () => {
        const { scores } = liraScores(variant, toInput(c));
        const err = maxRelativeError(scores, c.expected[variant], `${c.name} ${variant}`);
        assert.ok(err < 1e-6, `${c.name} ${variant}: max relative error ${err}`);
      });
    }
  }

  test('every variant finds the planted membership signal better than raw phi', () => {
    for (const c of CASES.filter((x) => x.name.startsWith('large'))) {
      const input = toInput(c);
      const rawPhi = Array.from({ length: input.records }, (_, r) => input.target[r * input.queries]);
      const baseline = rocAucScore(rawPhi, c.membership);
      for (const variant of LIRA_VARIANTS) {
        const auc = rocAucScore(liraScores(variant, input).scores, c.membership);
        assert.ok(auc > baseline + 0.1, `${c.name} ${variant}: AUC ${auc} should beat raw phi's ${baseline} by 0.1`);
      }
    }
  });
});

describe('LiRA semantics', () => {
  test('queries are normalised separately: shifting one query everywhere leaves per-record-variance scores unchanged', () => {
    const base = toInput(CASES.find((c) => c.name === 'small-queries')!);
    const shifted = { ...base, target: base.target.slice(), shadow: base.shadow.slice() };
    for (let i = 0; i < shifted.target.length; i += base.queries) shifted.target[i] += 100;
    for (let i = 0; i < shifted.shadow.length; i += base.queries) shifted.shadow[i] += 100;
    for (const variant of ['lira-online', 'lira-offline'] as const) {
      const a = liraScores(variant, base).scores;
      const b = liraScores(variant, shifted).scores;
      for (let r = 0; r < a.length; r++) assert.ok(relativeError(b[r], a[r]) < 1e-9, `${variant} record ${r}: ${b[r]} vs ${a[r]}`);
    }
  });

  test('the score of several queries is the mean of the single-query scores', () => {
    const c = toInput(CASES.find((x) => x.name === 'small-queries')!);
    const { records, shadows, queries } = c;
    const perQuery = Array.from({ length: queries }, (_, q) =>
      liraScores('lira-online', {
        ...c,
        queries: 1,
        target: Float64Array.from({ length: records }, (_, r) => c.target[r * queries + q]),
        shadow: Float64Array.from({ length: records * shadows }, (_, i) => c.shadow[i * queries + q]),
      }).scores,
    );
    const all = liraScores('lira-online', c).scores;
    for (let r = 0; r < records; r++) {
      const mean = perQuery.reduce((sum, s) => sum + s[r], 0) / queries;
      assert.ok(relativeError(all[r], mean) < 1e-12, `record ${r}: ${all[r]} vs mean of queries ${mean}`);
    }
  });

  test('zero spread uses the epsilon and is reported per record', () => {
    const c = CASES.find((x) => x.name === 'small')!;
    // Records 2 and 3 have identical OUT statistics; 6 has one OUT shadow, 7 one IN shadow.
    const online = liraScores('lira-online', toInput(c));
    assert.deepEqual(online.zeroSpreadRecords, [2, 3, 6, 7]);
    const offline = liraScores('lira-offline', toInput(c));
    assert.deepEqual(offline.zeroSpreadRecords, [2, 3, 6]);
    // Record 2's target sits exactly on the OUT median: log Phi(0) = log 1/2, and its
    // OUT density is 1 / (sqrt(2 pi) * SIGMA_EPSILON).
    assert.ok(Math.abs(offline.scores[2] - Math.log(0.5)) < 1e-15, `offline score of record 2: ${offline.scores[2]}`);
    assert.ok(Number.isFinite(online.scores[3]) && online.scores[3] > 1e50, `record 3 lies off a zero-width OUT: ${online.scores[3]}`);
    assert.ok(SIGMA_EPSILON === 1e-30, 'the fixtures were generated with std + 1e-30');
    assert.deepEqual(liraScores('lira-online-fixed', toInput(c)).zeroSpreadRecords, [], 'pooled sigmas are not zero');
  });

  test('online variants reject a record without an IN shadow, every variant one without an OUT shadow', () => {
    const input = toInput(CASES.find((x) => x.name === 'small')!);
    const noIn = { ...input, keep: input.keep.slice() };
    noIn.keep.fill(0, 5 * input.shadows, 6 * input.shadows);
    assert.throws(() => liraScores('lira-online', noIn), /record 5 has no IN shadow/);
    assert.throws(() => liraScores('lira-online-fixed', noIn), /record 5 has no IN shadow/);
    assert.equal(liraScores('lira-offline', noIn).scores.length, input.records, 'offline needs only OUT shadows');
    const noOut = { ...input, keep: input.keep.slice() };
    noOut.keep.fill(1, 4 * input.shadows, 5 * input.shadows);
    for (const variant of LIRA_VARIANTS) assert.throws(() => liraScores(variant, noOut), /record 4 has no OUT shadow/, variant);
  });
});

describe('difficulty calibration', () => {
  for (const c of CASES) {
    test(`${c.name}: target minus the mean over OUT shadows, within 1e-6 relative`, () => {
      const err = maxRelativeError(difficultyCalibratedScores(toInput(c)), c.expected['difficulty-calibration'], c.name);
      assert.ok(err < 1e-6, `${c.name}: max relative error ${err}`);
    });
  }

  test('without keep every shadow is a reference model', () => {
    const input = { records: 2, shadows: 3, queries: 1, target: Float64Array.from([1, 5]), shadow: Float64Array.from([0, 1, 2, 6, 6, 9]) };
    assert.deepEqual(Array.from(difficultyCalibratedScores(input)), [0, -2]);
    const withKeep = { ...input, keep: Uint8Array.from([1, 0, 0, 0, 0, 1]) };
    assert.deepEqual(Array.from(difficultyCalibratedScores(withKeep)), [1 - 1.5, 5 - 6]);
  });
});
