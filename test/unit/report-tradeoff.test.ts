/**
 * The report's defenses trade-off: points, Pareto front and staircase, policy line,
 * tooltips, table rows, exports and the stored attack choice. Expected fronts come from
 * the hand-worked table in report-sample-defenses.ts, not from the code under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseCsv } from 'csv-parse/sync';
import { auditJson } from '../../webview/src/export';
import { TRADEOFF_CSV_HEADER, tradeoffCsv } from '../../webview/src/export-tradeoff';
import { LOG_AXIS_FLOOR } from '../../webview/src/roc-data';
import { applyReportMessage, selectAttack, selectAudit, selectTradeoffAttack } from '../../webview/src/state';
import {
  TRADEOFF_TABLE_HEADERS,
  accuracyAxis,
  paretoFlags,
  paretoStep,
  pickTradeoffAttack,
  policyLine,
  tradeoffAttacks,
  tradeoffPoints,
  tradeoffRows,
  tradeoffTooltip,
} from '../../webview/src/tradeoff-data';
import { sampleReport } from './report-sample';
import { RECOMMENDED_CONFIG, sampleDefensesReport } from './report-sample-defenses';

function comparison() {
  const defenses = sampleDefensesReport().audits[0]!.defenses;
  assert.ok(defenses, 'the sample has a defense comparison');
  return defenses;
}

const IDS = ['none', 'l2 weight=0.001', 'dp-sgd noiseMultiplier=1.1 clipNorm=1', 'top-k k=1', 'labels-only', 'gaussian-noise sigma=0.1'];

test('one point per evaluation with a result, baseline first: accuracy, worst TPR, its attack and interval', () => {
  const points = tradeoffPoints(comparison());
  assert.deepEqual(points.map((p) => p.id), IDS, 'memguard (every attack failed) has no point');
  assert.deepEqual(points.map((p) => p.x), [0.82, 0.815, 0.74, 0.82, 0.82, 0.8], 'x is test accuracy');
  assert.deepEqual(points.map((p) => p.y), [0.05, 0.008, 0.0012, 0.04, 0.015, 0.03], 'y is the worst TPR at 0.1% FPR');
  assert.deepEqual(points.map((p) => p.attack), ['loss-threshold', 'loss-threshold', 'loss-threshold', 'loss-threshold', 'label-only', 'loss-threshold'], 'the worst attack of each');
  assert.deepEqual(points[4]!.interval, { lower: 0.014, upper: 0.017 }, 'the worst attack\'s interval at the front FPR');
  assert.deepEqual(points.map((p) => p.paretoOptimal), [false, true, true, false, true, false], 'the engine\'s flags, as worked out by hand');
  assert.deepEqual(points.map((p) => p.recommended), [false, true, false, false, false, false], 'only the recommendation');
  assert.deepEqual(points.map((p) => p.baseline), [true, false, false, false, false, false], 'only the baseline');
  assert.equal(points[1]!.config, JSON.stringify(RECOMMENDED_CONFIG), 'config as compact JSON');
});

test('Pareto flags (accuracy up, TPR down) match the hand-worked fronts, ties included', () => {
  const c = comparison();
  const worst = tradeoffPoints(c);
  assert.deepEqual(paretoFlags(worst.map((p) => ({ x: p.x, y: p.tpr }))), worst.map((p) => p.paretoOptimal), 'recomputed front = engine flags in the sample');
  assert.deepEqual(paretoFlags([{ x: 0.9, y: 0.1 }, { x: 0.9, y: 0.1 }, { x: 0.9, y: 0.2 }, { x: 0.8, y: 0.05 }, { x: 0.7, y: 0.05 }]), [true, true, false, true, false], 'equal points both stay; worse-or-equal on both axes drops');
  assert.deepEqual(paretoFlags([]), [], 'no points, no front');

  const labelOnly = tradeoffPoints(c, 'label-only');
  assert.deepEqual(labelOnly.map((p) => p.y), [0.015, 0.006, 0.001, 0.015, 0.015, 0.014], 'y is the chosen attack\'s TPR');
  assert.deepEqual(labelOnly.map((p) => p.paretoOptimal), [true, true, true, true, true, false], 'label-only: confidence masking does not move it, so baseline, top-k and labels-only tie on the front');
  assert.deepEqual(labelOnly.map((p) => p.attack), Array(6).fill('label-only'), 'every point names the chosen attack');

  const partial = structuredClone(c);
  partial.evaluations[0]!.attacks = partial.evaluations[0]!.attacks.filter((a) => a.attack !== 'label-only');
  assert.ok(!tradeoffPoints(partial, 'label-only').some((p) => p.id === 'l2 weight=0.001'), 'an evaluation without the chosen attack has no point');
});

test('the front is drawn as a staircase: up at each point\'s accuracy, then level', () => {
  const front = tradeoffPoints(comparison()).filter((p) => p.paretoOptimal);
  assert.deepEqual(
    paretoStep(front),
    [
      { x: 0.74, y: 0.0012 },
      { x: 0.74, y: 0.008 },
      { x: 0.815, y: 0.008 },
      { x: 0.815, y: 0.015 },
      { x: 0.82, y: 0.015 },
    ],
    'dp-sgd -> l2 -> labels-only',
  );
  assert.deepEqual(paretoStep([{ x: 0.5, y: 0.1 }, { x: 0.5, y: 0.1 }]), [{ x: 0.5, y: 0.1 }], 'duplicates collapse');
  assert.deepEqual(paretoStep([]), [], 'no front, no line');
});

test('a TPR of 0 is drawn at the log floor but reported as measured', () => {
  const c = comparison();
  c.evaluations[1]!.worstTpr = 0;
  const p = tradeoffPoints(c)[2]!;
  assert.equal(p.y, LOG_AXIS_FLOOR, 'clamped for the log axis');
  assert.equal(p.tpr, 0, 'the measured value stays');
});

test('the accuracy axis spans the points with a margin, on whole percents within [0, 1]', () => {
  assert.deepEqual(accuracyAxis(tradeoffPoints(comparison())), { min: 0.73, max: 0.83 }, '0.74..0.82 padded by one point');
  assert.deepEqual(accuracyAxis([{ x: 0.2, y: 1 }, { x: 0.7, y: 1 }]), { min: 0.15, max: 0.75 }, 'padded by a tenth of the range');
  assert.deepEqual(accuracyAxis([{ x: 0.995, y: 1 }]), { min: 0.98, max: 1 }, 'never above 100%');
  assert.deepEqual(accuracyAxis([]), { min: 0, max: 1 }, 'full range without points');
});

test('the policy line comes from the recommendation finding\'s policyMax, and is not guessed without it', () => {
  const withMax = sampleDefensesReport({ policyMax: 0.005 });
  assert.deepEqual(policyLine(withMax, withMax.audits[0]!), { value: 0.005, label: 'policy: TPR ≤ 0.5%' }, 'the report\'s own limit');
  const report = sampleDefensesReport();
  assert.equal(policyLine(report, report.audits[0]!), undefined, 'no limit in the report: no line');
  assert.equal(policyLine(withMax, withMax.audits[1]!), undefined, 'no defenses, no line');
  const broken = sampleDefensesReport({ policyMax: Number.NaN });
  assert.equal(policyLine(broken, broken.audits[0]!), undefined, 'a NaN limit (null after JSON) draws nothing');
});

test('tooltips name the setting, its marks, the numbers with intervals and the config', () => {
  const points = tradeoffPoints(comparison());
  assert.deepEqual(tradeoffTooltip(points[1]!, '0.001'), [
    'l2 weight=0.001 (training, Pareto-optimal, recommended, meets policy)',
    'test accuracy 81.5%',
    'loss-threshold: TPR 0.8% at 0.1% FPR (95% CI 0.7%–1%)',
    'config {"name":"l2","weight":0.001}',
  ], 'recommended point');
  assert.deepEqual(tradeoffTooltip(points[0]!, '0.001'), ['none (no defense, violates policy)', 'test accuracy 82%', 'loss-threshold: TPR 5% at 0.1% FPR (95% CI 4.9%–5.2%)'], 'baseline: no config line');
});

test('table rows: one per evaluation and attack, evaluation cells once, failures named', () => {
  const rows = tradeoffRows(comparison());
  assert.equal(rows.length, 6 * 2 + 1, 'two attacks for six evaluations, one row for the failed one');
  assert.equal(Object.keys(rows[0]!.cells).length, TRADEOFF_TABLE_HEADERS.length, 'a cell per header');
  assert.deepEqual(rows[0]!.cells, {
    defense: 'none', kind: 'baseline', testAccuracy: '82%', trainAccuracy: '92%', dpEpsilon: '—', pareto: 'no', meetsPolicy: 'no',
    attack: 'loss-threshold', auc: '0.600', tpr1: '15% (14.9%–15.2%)', tpr01: '5% (4.9%–5.2%)',
  }, 'baseline, first attack');
  assert.equal(rows[1]!.cells.defense, '', 'evaluation cells only on its first row');
  assert.equal(rows[1]!.cells.attack, 'label-only', 'second attack');
  assert.deepEqual([rows[2]!.cells.pareto, rows[2]!.recommended], ['yes, recommended', true], 'l2 is recommended');
  assert.equal(rows[4]!.cells.dpEpsilon, '2.530 (δ = 1e-5)', 'DP-SGD reports its accounted epsilon');
  assert.equal(rows[12]!.cells.attack, 'failed: loss-threshold, label-only', 'memguard failed on both attacks');
  assert.equal(rows[12]!.cells.tpr01, '—', 'no numbers for a failure');
  const small = comparison();
  small.baseline.attacks[0]!.tprAtFpr['0.001'].measurable = false;
  assert.equal(tradeoffRows(small)[0]!.cells.tpr01, 'not measurable', 'an FPR below 1/N is said to be unmeasurable, not shown as a number');
});

test('the defenses CSV: one tidy row per evaluation, attack and FPR, read back by an independent CSV parser', () => {
  const audit = sampleDefensesReport().audits[0]!;
  const text = tradeoffCsv(audit);
  assert.ok(text, 'an audit with defenses has a CSV');
  const rows = parseCsv(text) as string[][];
  assert.deepEqual(rows[0], [...TRADEOFF_CSV_HEADER], 'header');
  assert.equal(rows.length, 1 + 6 * 2 * 3 + 1, 'header + evaluations x attacks x FPRs + the failed evaluation');
  const col = (name: (typeof TRADEOFF_CSV_HEADER)[number]) => TRADEOFF_CSV_HEADER.indexOf(name);
  const dp = rows.find((r) => r[col('defense')] === 'dp-sgd' && r[col('attack')] === 'loss-threshold' && r[col('target_fpr')] === '0.001');
  assert.ok(dp, 'the dp-sgd row at 0.1% FPR');
  assert.deepEqual(JSON.parse(dp[col('config')]!), { name: 'dp-sgd', noiseMultiplier: 1.1, clipNorm: 1, delta: 1e-5 }, 'the config survives quoting');
  assert.deepEqual([dp[col('tpr')], dp[col('tpr_ci_lower')], dp[col('tpr_ci_upper')], dp[col('dp_epsilon')], dp[col('dp_delta')]], ['0.0012', '0.0002', '0.0032', '2.53', '0.00001'], 'numbers at full precision');
  assert.deepEqual([dp[col('pareto_optimal')], dp[col('meets_policy')], dp[col('recommended')], dp[col('front_fpr')]], ['true', 'true', 'false', '0.001'], 'flags');
  assert.equal(rows.filter((r) => r[col('recommended')] === 'true').length, 6, 'the recommendation\'s 2 attacks x 3 FPRs');
  const failed = rows.find((r) => r[col('defense')] === 'memguard');
  assert.deepEqual([failed?.[col('attack')], failed?.[col('tpr')]], ['', ''], 'a failed evaluation keeps a row without numbers');
  assert.equal(tradeoffCsv(sampleReport().audits[0]!), undefined, 'no defenses, no CSV');
});

test('the JSON export carries the comparison only when there is one', () => {
  const report = sampleDefensesReport();
  const parsed = JSON.parse(auditJson(report, report.audits[0]!)) as { defenses?: { recommendation: unknown; evaluations: unknown[] } };
  assert.deepEqual(parsed.defenses?.recommendation, { id: 'l2 weight=0.001', accuracyCost: 0.005, worstTpr: 0.008 }, 'recommendation exported');
  assert.equal(parsed.defenses?.evaluations.length, 6, 'every evaluation exported');
  assert.ok(!('defenses' in JSON.parse(auditJson(report, report.audits[1]!))), 'no key for an audit without defenses');
});

test('the trade-off attack choice is stored, kept for a re-sent report, and dropped when stale', () => {
  const report = sampleDefensesReport();
  const first = applyReportMessage(undefined, { type: 'report', report });
  assert.ok(!('tradeoffAttack' in first), 'worst attack by default');
  const chosen = selectTradeoffAttack(first, 'label-only');
  assert.equal(chosen.tradeoffAttack, 'label-only', 'stored');
  assert.equal(selectAttack(chosen, '=calibrated, "odd" name').tradeoffAttack, 'label-only', 'the per-attack picker leaves it alone');
  assert.deepEqual(applyReportMessage(chosen, { type: 'report', report }), chosen, 're-sent report keeps it');
  assert.ok(!('tradeoffAttack' in selectTradeoffAttack(chosen, undefined)), 'back to the worst attack');
  assert.ok(!('tradeoffAttack' in selectAudit(chosen, 'images')), 'another audit starts from the worst attack');
  assert.ok(!('tradeoffAttack' in applyReportMessage(chosen, { type: 'report', report: sampleReport() })), 'a report without that attack drops it');
  assert.ok(!('tradeoffAttack' in applyReportMessage(chosen, { type: 'report', report, audit: 'images' })), 'a host-chosen other audit drops it');
  assert.deepEqual(tradeoffAttacks(report.audits[0]!.defenses!), ['loss-threshold', 'label-only'], 'attack choices');
  assert.equal(pickTradeoffAttack(report.audits[0]!.defenses, 42), undefined, 'a foreign stored value is ignored');
  assert.equal(pickTradeoffAttack(undefined, 'label-only'), undefined, 'no comparison, no choice');
});

test('the comparison\'s policyMaxTpr draws the policy line and wins over a finding\'s policyMax', () => {
  const report = sampleDefensesReport({ policyMax: 0.005 });
  report.audits[0]!.defenses!.policyMaxTpr = 0.01;
  assert.deepEqual(policyLine(report, report.audits[0]!), { value: 0.01, label: 'policy: TPR ≤ 1%' }, 'the engine\'s limit at the front FPR');
});
