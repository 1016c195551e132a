import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scoreFile, type ScoreAttack } from '../../src/cli/score-command';
import { isInputError } from '../../src/engine/errors';
import { computeAttackMetrics } from '../../src/engine/metrics';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/lira');
const RMIA_DEFAULTS = { offlineA: 0.3, gamma: 1 };

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFile(name: string, content: string | object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-score-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function fixture(name: string) {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

/** The InputError message scoreFile throws for this input, or a failed assertion. */
function inputErrorOf(content: string | object, attack: ScoreAttack, name = 'in.json'): string {
  const file = tmpFile(name, content);
  try {
    scoreFile(file, attack, RMIA_DEFAULTS);
  } catch (e) {
    assert.ok(isInputError(e), `expected an InputError, got ${(e as Error).stack}`);
    return e.message;
  }
  assert.fail(`${attack} accepted a bad input: ${typeof content === 'string' ? content : JSON.stringify(content)}`);
}

// A valid small LiRA input: 3 records x 4 shadows, each record with IN and OUT shadows.
const SMALL = {
  target: [0.5, -1, 2],
  shadow: [
    [1, 0.2, 1.4, -0.1],
    [-1.2, -0.4, -0.9, 0.3],
    [2.5, 1.1, 2.2, 0.4],
  ],
  keep: [
    [true, false, true, false],
    [false, true, false, true],
    [true, false, false, true],
  ],
  membership: [true, false, true],
};

describe('privacy-lint score (spawned)', () => {
  test('prints per-record scores matching the reference and the evaluate metrics object', () => {
    const c = fixture('small-queries.json');
    const r = cli(['score', path.join(FIXTURES, 'small-queries.json'), '--attack', 'lira-online', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.attack, 'lira-online');
    assert.equal(out.scores.length, c.target.length, 'one score per record');
    out.scores.forEach((s: number, i: number) => {
      const e = c.expected['lira-online'][i];
      assert.ok(Math.abs(s - e) <= 1e-6 * Math.max(Math.abs(e), 1e-12), `record ${i}: ${s} vs reference ${e}`);
    });
    assert.deepEqual(out.metrics, JSON.parse(JSON.stringify(computeAttackMetrics(out.scores, c.membership))), 'same metrics as evaluate computes');
  });

  test('RMIA takes --offline-a and --gamma and echoes them', () => {
    const c = fixture('rmia.json').cases[0];
    const expected = c.expected.find((e: { mode: string; offlineA: number; gamma: number; useKeep: boolean }) => e.mode === 'offline' && e.offlineA === 0.6 && e.gamma === 2);
    const r = cli(['score', tmpFile('rmia.json', c), '--attack', 'rmia', '--offline-a', '0.6', '--gamma', '2']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.parameters, { offlineA: 0.6, gamma: 2 });
    out.scores.forEach((s: number, i: number) => assert.ok(Math.abs(s - expected.scores[i]) < 1e-12, `record ${i}: ${s} vs ${expected.scores[i]}`));
    assert.ok(out.metrics.auc > 0.5, `metrics from membership: AUC ${out.metrics.auc}`);
  });

  test('text format summarises the scores, warnings and metrics', () => {
    const r = cli(['score', path.join(FIXTURES, 'small.json'), '--attack', 'lira-offline', '--format', 'text']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /attack\s+lira-offline/);
    assert.match(r.stdout, /3 of 12 records have shadow statistics with zero spread.*Records 2, 3, 6/);
    assert.match(r.stdout, /AUC\s+\d\.\d{4}/);
  });

  test('input, attack and option errors exit 2 with the problem named', () => {
    const bad = cli(['score', tmpFile('bad.json', { ...SMALL, shadow: [SMALL.shadow[0], [1, 2, 3], SMALL.shadow[2]] }), '--attack', 'lira-online']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /bad\.json \(record 1, field "shadow\[1\]"\): expected 4 shadow statistics, one per shadow model, as in shadow\[0\], found 3/);
    assert.equal(bad.stdout, '', 'no partial output');
    const unknown = cli(['score', tmpFile('ok.json', SMALL), '--attack', 'lira']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /lira-online, lira-offline, lira-online-fixed, lira-offline-fixed, difficulty-calibration, rmia, rmia-online/);
    const gamma = cli(['score', tmpFile('ok.json', SMALL), '--attack', 'rmia', '--gamma', '-1']);
    assert.equal(gamma.code, 2);
    assert.match(gamma.stderr, /--gamma.*expected a positive number/);
  });
});

describe('score input checking', () => {
  test('scoreFile scores a valid file with every shadow attack', () => {
    for (const attack of ['lira-online', 'lira-offline', 'lira-online-fixed', 'lira-offline-fixed', 'difficulty-calibration'] as const) {
      const out = scoreFile(tmpFile('ok.json', SMALL), attack, RMIA_DEFAULTS);
      assert.equal(out.scores.length, 3, `${attack}: one score per record`);
      assert.ok(out.scores.every(Number.isFinite), `${attack}: finite scores ${out.scores}`);
      assert.equal(out.metrics?.members, 2, `${attack}: metrics from membership`);
    }
  });

  test('mismatched shapes name the field, the record and the lengths', () => {
    assert.match(inputErrorOf({ ...SMALL, shadow: SMALL.shadow.slice(0, 2) }, 'lira-online'), /field "shadow"\): "shadow" has 2 entries but "target" has 3; they must pair up/);
    assert.match(
      inputErrorOf({ ...SMALL, keep: [SMALL.keep[0], SMALL.keep[1], [true, false, true]] }, 'lira-offline'),
      /\(record 2, field "keep\[2\]"\): expected 4 booleans, one per shadow model as in shadow\[0\], found 3/,
    );
    assert.match(inputErrorOf({ ...SMALL, membership: [true, false] }, 'lira-online'), /"membership" has 2 entries but "target" has 3/);
    const queries = { ...SMALL, target: [[0, 1], [1, 2], [2, 3]], shadow: SMALL.shadow.map((row) => row.map((v) => [v, v + 1])) };
    queries.shadow[1][3] = [0.5];
    assert.match(inputErrorOf(queries, 'lira-online'), /\(record 1, field "shadow\[1\]\[3\]"\): expected 2 query statistics, as many as target\[0\] has, found 1/);
    assert.match(inputErrorOf({ ...queries, shadow: SMALL.shadow }, 'lira-online'), /field "shadow\[0\]\[0\]"\): expected an array/);
    assert.match(inputErrorOf({ ...SMALL, keep: undefined }, 'lira-offline'), /field "keep"\): missing: expected booleans/);
  });

  test('online LiRA needs an IN and an OUT shadow per record, offline only OUT', () => {
    const noIn = { ...SMALL, keep: [SMALL.keep[0], [false, false, false, false], SMALL.keep[2]] };
    assert.match(inputErrorOf(noIn, 'lira-online'), /\(record 1, field "keep\[1\]"\): record 1 has no IN shadow .*offline variants need only OUT shadows/);
    assert.match(inputErrorOf(noIn, 'lira-online-fixed'), /record 1 has no IN shadow/);
    assert.equal(scoreFile(tmpFile('no-in.json', noIn), 'lira-offline', RMIA_DEFAULTS).scores.length, 3, 'offline accepts it');
    const noOut = { ...SMALL, keep: [SMALL.keep[0], SMALL.keep[1], [true, true, true, true]] };
    for (const attack of ['lira-offline', 'lira-offline-fixed', 'difficulty-calibration'] as const) {
      assert.match(inputErrorOf(noOut, attack), /\(record 2, field "keep\[2\]"\): record 2 has no OUT model/, attack);
    }
  });

  test('NaN and Infinity, also as Python writes them, are reported with their indices', () => {
    const python = JSON.stringify(SMALL).replace('"target":[0.5,', '"target":[NaN,').replace('[-1.2,-0.4', '[-1.2,-Infinity');
    assert.match(python, /NaN.*-Infinity/, 'the test input carries bare NaN and -Infinity');
    assert.match(inputErrorOf(python, 'lira-online'), /\(record 0, field "target\[0\]"\): expected a finite number, found NaN/);
    const onlyShadow = JSON.stringify(SMALL).replace('[-1.2,-0.4', '[-1.2,-Infinity');
    assert.match(inputErrorOf(onlyShadow, 'lira-online'), /\(record 1, field "shadow\[1\]\[1\]"\): expected a finite number, found -Infinity/);
    assert.match(inputErrorOf('{"target": [1e400]}', 'lira-online'), /field "target\[0\]"\): expected a finite number, found Infinity/);
    assert.match(inputErrorOf('{"target": ["NaN is a string here"]}', 'lira-online'), /expected a number .*found "NaN is a string here"/);
    assert.match(inputErrorOf('{"target": [1,', 'lira-online'), /expected a JSON object/);
  });

  test('membership needs both classes; RMIA probabilities must be in [0, 1]', () => {
    assert.match(inputErrorOf({ ...SMALL, membership: [true, true, true] }, 'lira-online'), /at least one member and one non-member, found 3 members of 3/);
    const rmia = {
      targetProb: [0.9, 0.2],
      referenceProb: [[0.5, 0.6], [0.3, 0.1]],
      populationTargetProb: [0.4, 0.7, 0.1],
      populationReferenceProb: [[0.5, 0.5], [0.6, 0.7], [0.2, 0.2]],
    };
    assert.deepEqual(scoreFile(tmpFile('rmia.json', rmia), 'rmia', RMIA_DEFAULTS).scores.length, 2);
    assert.match(inputErrorOf({ ...rmia, populationReferenceProb: [[0.5, 0.5], [0.6, 1.7], [0.2, 0.2]] }, 'rmia'), /field "populationReferenceProb\[1\]\[1\]"\): expected a probability in \[0, 1\], found 1\.7/);
    assert.match(inputErrorOf({ ...rmia, referenceProb: [[0.5, 0.6], [0.3]] }, 'rmia'), /\(record 1, field "referenceProb\[1\]"\): expected 2 probabilities/);
    assert.match(inputErrorOf({ ...rmia, keep: [[true, true], [false, true]] }, 'rmia'), /record 0 has no OUT model/);
    assert.equal(scoreFile(tmpFile('rmia.json', { ...rmia, keep: [[true, true], [false, true]] }), 'rmia-online', RMIA_DEFAULTS).scores.length, 2, 'online does not need OUT models');
  });

  test('a score that overflows float64 is an input error, not a silent Infinity', () => {
    const huge = { ...SMALL, target: [1e300, -1, 2], shadow: [[1, 1, 1, -1e300], SMALL.shadow[1], SMALL.shadow[2]] };
    assert.match(inputErrorOf(huge, 'lira-online'), /\(record 0, field "target\[0\]"\): the lira-online score of this record is (NaN|-?Infinity): its statistics lie too far/);
  });
});
