import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toHtml } from '../../src/engine/report/html';
import { toJson } from '../../src/engine/report/json';
import { toSarif } from '../../src/engine/report/sarif';
import { accuracyX, frontPathData, tprY, tradeoffScale } from '../../src/engine/report/svg-tradeoff';
import { defenseLines, toText } from '../../src/engine/report/text';
import type { OperatingPoint, ReportedFpr } from '../../src/engine/metrics/types';
import type { AuditReport, DefenseAttackOutcome, DefenseComparison, DefenseEvaluation } from '../../src/engine/report/schema';
import { sampleReport } from './report-sample';

function point(targetFpr: number, tpr: number): OperatingPoint {
  return {
    targetFpr, tpr, fpr: targetFpr, threshold: 0, truePositives: Math.round(tpr * 1000), falsePositives: 0,
    tprInterval: { lower: Math.max(0, tpr - 0.01), upper: Math.min(1, tpr + 0.01) }, fprInterval: { lower: 0, upper: 0.003 }, measurable: targetFpr >= 1e-3,
  };
}

function outcome(attack: string, auc: number, tpr: number, epsilon?: number): DefenseAttackOutcome {
  const tprAtFpr = { '0.01': point(0.01, Math.min(1, tpr * 3)), '0.001': point(0.001, tpr), '0.0001': point(0.0001, tpr / 2) } as Record<ReportedFpr, OperatingPoint>;
  return { attack, auc, advantage: auc - 0.5, tprAtFpr, ...(epsilon !== undefined ? { epsilonLowerBound: { epsilon, delta: 1e-5 } } : {}) };
}

function evaluation(id: string, kind: DefenseEvaluation['kind'], acc: number, tprs: [number, number], pareto: boolean, meets: boolean, extra: Partial<DefenseEvaluation> = {}): DefenseEvaluation {
  return {
    id, defense: id.split(' ')[0]!, kind, config: { name: id.split(' ')[0]! }, testAccuracy: acc, trainAccuracy: acc + 0.05,
    attacks: [outcome('loss-threshold', 0.7, tprs[0], 1.5), outcome('label-only-augmentation', 0.6, tprs[1])],
    worstTpr: Math.max(...tprs), paretoOptimal: pareto, meetsPolicy: meets, errors: [], durationMs: 10, ...extra,
  };
}

/** Baseline (0.85, 5%), dp-sgd (0.70, 0.05%) recommended, top-k (0.85, 5%) dominated-equal, a failed one, a hostile id. */
function comparison(): DefenseComparison {
  return {
    frontFpr: '0.001',
    baseline: evaluation('none', 'none', 0.85, [0.05, 0.02], true, false),
    evaluations: [
      evaluation('dp-sgd noiseMultiplier=1.1', 'training', 0.7, [0.0005, 0.0004], true, true, { manifestIndex: 0, dp: { epsilon: 3.2, delta: 1e-5, noiseMultiplier: 1.1, samplingRate: 0.05, steps: 600, order: 8 }, notes: ['Defended model read from the cache.'] }),
      evaluation('top-k k=1', 'inference', 0.8, [0.03, 0.02], false, false, { manifestIndex: 1 }),
      { ...evaluation('relaxloss', 'training', NaN, [NaN, NaN], false, false, { manifestIndex: 2 }), attacks: [], worstTpr: NaN, errors: [{ attack: 'defense', message: 'relaxloss failed: boom' }] },
      evaluation('<script>alert(1)</script>', 'inference', 0.6, [0.001, 0.001], false, false, { manifestIndex: 3 }),
    ],
    recommendation: { id: 'dp-sgd noiseMultiplier=1.1', accuracyCost: 0.15, worstTpr: 0.0005 },
  };
}

function reportWith(c: DefenseComparison): AuditReport {
  const report = sampleReport();
  report.audits[0]!.defenses = c;
  return report;
}

describe('defense trade-off in the text report', () => {
  test('one row per setting, the baseline first, recommendation and failures named', () => {
    const lines = defenseLines(comparison());
    const table = lines.slice(1, 7);
    assert.match(table[0]!, /Defense\s+Kind\s+Test acc\.\s+Train acc\.\s+Cost\s+Worst TPR@0\.1% FPR \[95% CI\]\s+Best AUC\s+DP eps\s+eps >=\s+Pareto\s+Policy/, 'header');
    assert.match(table[1]!, /^ {2}none\s+none\s+85\.0%\s+90\.0%\s+5\.00% \[4\.00%, 6\.00%\]\s+0\.700\s+1\.50\s+yes\s+fails$/, `baseline row: ${table[1]}`);
    assert.match(table[2]!, /^ {2}dp-sgd noiseMultiplier=1\.1\s+training\s+70\.0%\s+75\.0%\s+-15\.0 pts\s+0\.05% \[0\.00%, 1\.05%\]\s+0\.700\s+3\.20\s+1\.50\s+yes\s+meets \(recommended\)$/, `dp row: ${table[2]}`);
    assert.match(table[4]!, /^ {2}relaxloss\s+training\s+n\/a\s+n\/a\s+n\/a\s+n\/a\s+n\/a\s+n\/a\s+no\s+fails$/, `failed row: ${table[4]}`);
    assert.ok(lines.includes('  Recommended: dp-sgd noiseMultiplier=1.1 (meets the policy at the least accuracy cost: the front of the settings within the policy).'), 'recommendation line');
    const detail = lines.filter((l) => /label-only-augmentation/.test(l));
    assert.equal(detail.length, 4, 'one detail row per (evaluation with numbers, label-only attack)');
    assert.ok(lines.includes('  relaxloss: defense: relaxloss failed: boom'), 'failure listed');
    assert.deepEqual(lines.slice(lines.indexOf('Defense notes:')), ['Defense notes:', '  dp-sgd noiseMultiplier=1.1: Defended model read from the cache.'], 'notes listed last, per setting');
  });

  test('the full text report includes the section, JSON writes NaN as null', () => {
    const report = reportWith(comparison());
    assert.match(toText(report), /Defenses \(trade-off read at TPR at 0\.1% FPR/, 'section present');
    const json = JSON.parse(toJson(report));
    assert.equal(json.audits[0].defenses.evaluations[2].testAccuracy, null, 'NaN as null');
    assert.equal(json.audits[0].defenses.recommendation.id, 'dp-sgd noiseMultiplier=1.1', 'recommendation kept');
  });
});

describe('defense trade-off chart and HTML table', () => {
  test('coordinates: log TPR axis from 0.01% to 100%, accuracy axis padded to 5-point steps', () => {
    // Plot 300 px high from y = 14; 4 decades: 0.1% sits one decade above the floor.
    assert.equal(tprY(1), 14, 'TPR 1 at the top');
    assert.equal(tprY(1e-3), 14 + 300 * 0.75, 'TPR 0.1%');
    assert.equal(tprY(0), 314, 'TPR 0 on the floor');
    const scale = tradeoffScale(comparison().evaluations.concat(comparison().baseline));
    // Accuracies 0.6..0.85 padded by 2 points -> 0.55..0.90.
    assert.ok(Math.abs(scale.minAccuracy - 0.55) < 1e-12 && Math.abs(scale.maxAccuracy - 0.9) < 1e-12, `scale ${JSON.stringify(scale)}`);
    assert.equal(accuracyX(0.55, scale), 64, 'left edge');
    assert.equal(accuracyX(0.9, scale), 484, 'right edge (64 + 420)');
    const c = comparison();
    // Steps through the two optimal points by accuracy: dp-sgd (0.70, 0.05%) then the baseline (0.85, 5%).
    const x1 = accuracyX(0.7, scale);
    const x2 = accuracyX(0.85, scale);
    assert.equal(frontPathData([c.baseline, c.evaluations[0]!], scale), `M${x1} ${tprY(0.0005)} H${x2} V${tprY(0.05)}`, 'front path');
  });

  test('the page has the chart (one point per setting with numbers), the table, and escapes ids', () => {
    const page = toHtml(reportWith(comparison()));
    const figure = page.slice(page.indexOf('<figure class="tradeoff">'), page.indexOf('</figure>', page.indexOf('<figure class="tradeoff">')));
    assert.ok(figure.length > 0, 'trade-off figure present');
    assert.equal((figure.match(/<circle cx=/g) ?? []).length, 4, 'baseline + 3 settings with numbers (the failed one has no point)');
    assert.equal((figure.match(/class="recommended"/g) ?? []).length, 1, 'one recommendation ring');
    assert.equal((figure.match(/class="point [a-z]+ pareto"/g) ?? []).length, 2, 'two Pareto-optimal points');
    assert.match(figure, /<path class="front" d="M/, 'front line drawn');
    assert.ok(!page.includes('<script>alert(1)</script>'), 'hostile id escaped');
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'hostile id shown as text');
    assert.match(page, /<tr class="recommended"><td><code>dp-sgd noiseMultiplier=1\.1<\/code><\/td>/, 'recommended row marked');
    assert.match(page, /relaxloss failed: boom/, 'failure listed');
    assert.match(page, /<li><code>dp-sgd noiseMultiplier=1\.1<\/code>: Defended model read from the cache\.<\/li>/, 'notes listed');
  });

  test('coinciding settings share one text label; each keeps its tooltip', () => {
    const c = comparison();
    c.evaluations.push({ ...c.evaluations[1]!, id: 'labels-only', defense: 'labels-only', manifestIndex: 4 });
    const page = toHtml(reportWith(c));
    const figure = page.slice(page.indexOf('<figure class="tradeoff">'), page.indexOf('</figure>', page.indexOf('<figure class="tradeoff">')));
    assert.equal((figure.match(/<circle cx=/g) ?? []).length, 5, 'five points');
    assert.equal((figure.match(/class="point-label"/g) ?? []).length, 4, 'top-k and labels-only coincide: one label between them');
    assert.match(figure, /<title>labels-only: test accuracy 80\.0%/, 'the unlabelled point keeps its tooltip');
  });
});

describe('defense trade-off in SARIF', () => {
  test('run properties carry the table; numbers or null', () => {
    const sarif = toSarif(reportWith(comparison()));
    const t = (sarif.runs[0].properties as Record<string, any>)['defenseTradeoffs'];
    assert.equal(t.length, 1, 'one audit with defenses');
    assert.equal(t[0].frontFpr, 0.001, 'front FPR as a number');
    assert.deepEqual(t[0].recommendation, { id: 'dp-sgd noiseMultiplier=1.1', accuracyCost: 0.15, worstTpr: 0.0005 }, 'recommendation');
    assert.deepEqual(t[0].rows.map((r: any) => r.id), ['none', 'dp-sgd noiseMultiplier=1.1', 'top-k k=1', 'relaxloss', '<script>alert(1)</script>'], 'rows in order');
    const dp = t[0].rows[1];
    assert.equal(dp.accountedEpsilon, 3.2, 'accounted epsilon');
    assert.equal(dp.empiricalEpsilon, 1.5, 'empirical bound');
    assert.ok(Math.abs(dp.accuracyCost - 0.15) < 1e-12, 'cost');
    assert.equal(dp.recommended, true, 'flag');
    assert.equal(t[0].rows[3].testAccuracy, null, 'failed: null');
    assert.deepEqual(t[0].rows[3].errors, ['defense: relaxloss failed: boom'], 'failed: reason');
    assert.equal((sarif.runs[0].properties as Record<string, unknown>)['defenseTradeoffs'] !== undefined, true, 'present');
    const none = toSarif(sampleReport());
    assert.equal((none.runs[0].properties as Record<string, unknown>)['defenseTradeoffs'], undefined, 'absent without defenses');
  });
});
