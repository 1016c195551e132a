/** Wording shared by the tree, CodeLens, status item and messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditOutcome, AuditSummary } from '../../src/shared/protocol';
import { auditLenses } from '../../src/extension/codelens/audit-lenses';
import { outlineManifest } from '../../src/extension/detection/manifest-outline';
import { outcomeMessage } from '../../src/extension/results/outcome-text';
import { formatPercent, longMetrics, outcomeLine, shortMetrics } from '../../src/extension/results/summary-format';
import { ProgressIncrements } from '../../src/extension/commands/progress-increments';
import { readFileSync } from 'node:fs';

const summary: AuditSummary = {
  reportKey: '/ws/privacy-audit.json',
  manifest: '/ws/privacy-audit.json',
  audit: 'fashion-mnist-mlp',
  model: '/ws/model/model.json',
  bestAttack: 'loss-threshold-per-class',
  auc: 0.61069025,
  tprAt01pctFpr: 0.0015,
  severity: 'medium',
  findings: 3,
  stale: false,
};

test('percentages keep the digits that matter at low FPR', () => {
  assert.equal(formatPercent(0.0015), '0.15%');
  assert.equal(formatPercent(0.0005), '0.05%');
  assert.equal(formatPercent(0.015), '1.5%');
  assert.equal(formatPercent(0.25), '25%');
  assert.equal(formatPercent(0.256), '25.6%');
  assert.equal(formatPercent(0), '0%');
  assert.equal(formatPercent(0.00004), '0.004%');
  assert.equal(formatPercent(1), '100%');
  assert.equal(formatPercent(Number.NaN), '–');
});

test('metrics read "AUC 0.61 · TPR@0.1% 0.15%" in the tree and "AUC 0.611 · TPR@0.1% FPR 0.15%" in CodeLens', () => {
  assert.equal(shortMetrics(summary), 'AUC 0.61 · TPR@0.1% 0.15%');
  assert.equal(longMetrics(summary), 'AUC 0.611 · TPR@0.1% FPR 0.15%');
  const { auc: _auc, tprAt01pctFpr: _tpr, ...noResult } = summary;
  assert.equal(shortMetrics(noResult), undefined);
  assert.equal(outcomeLine({ ...summary, stale: true }), 'fashion-mnist-mlp: AUC 0.611 · TPR@0.1% FPR 0.15% · 3 findings (stale)');
});

test('CodeLens: result, Run audit and Open report above each audit\'s "name"', () => {
  const text = readFileSync('examples/fashion-mnist/privacy-audit.json', 'utf8');
  // Open report uses the key the engine filed the report under, whatever it is.
  const filed = { ...summary, reportKey: '/ws/filed-under' };
  const lenses = auditLenses('/ws/privacy-audit.json', outlineManifest(text), (audit) => (audit === 'fashion-mnist-mlp' ? filed : undefined));
  assert.deepEqual(lenses.map((l) => l.title), ['AUC 0.611 · TPR@0.1% FPR 0.15%', 'Run audit', 'Open report']);
  for (const lens of lenses) assert.equal(text.slice(lens.offset, lens.offset + lens.length), '"name"');
  assert.deepEqual(lenses[1]!.args, [{ target: '/ws/privacy-audit.json', audit: 'fashion-mnist-mlp' }]);
  assert.deepEqual(lenses[2]!.args, [{ reportKey: '/ws/filed-under', audit: 'fashion-mnist-mlp' }]);
  assert.equal(lenses[0]!.command, '');

  const fresh = auditLenses('/ws/privacy-audit.json', outlineManifest(text), () => undefined);
  assert.deepEqual(fresh.map((l) => l.title), ['not audited yet', 'Run audit']);
  const stale = auditLenses('/ws/privacy-audit.json', outlineManifest(text), () => ({ ...summary, stale: true }));
  assert.equal(stale[0]!.title, 'AUC 0.611 · TPR@0.1% FPR 0.15% (stale: inputs changed)');
});

const outcome = (o: Partial<AuditOutcome>): AuditOutcome => ({ reportKey: '/ws/privacy-audit.json', summaries: [], cancelled: false, fromCache: [], errors: [], ...o });

test('outcome messages: results, cancellation, errors, and the level to show them at', () => {
  assert.deepEqual(outcomeMessage([outcome({ summaries: [summary] })]), {
    level: 'info', hasReport: true, text: 'fashion-mnist-mlp: AUC 0.611 · TPR@0.1% FPR 0.15% · 3 findings',
  });
  assert.equal(outcomeMessage([outcome({ summaries: [summary], fromCache: ['fashion-mnist-mlp'] })]).text, 'fashion-mnist-mlp: AUC 0.611 · TPR@0.1% FPR 0.15% · 3 findings (1 unchanged, from the cache)');
  const cancelled = outcomeMessage([outcome({ cancelled: true })]);
  assert.equal(cancelled.level, 'info');
  assert.match(cancelled.text, /^Audit cancelled/);
  const failed = outcomeMessage([outcome({ errors: ['a: broken', 'b: broken', 'c: broken', 'd: broken'] })]);
  assert.equal(failed.level, 'error');
  assert.equal(failed.hasReport, false);
  assert.match(failed.text, /a: broken b: broken c: broken and 1 more problems/);
  assert.equal(outcomeMessage([outcome({ summaries: [summary], errors: ['x'] })]).level, 'warning');
  assert.equal(outcomeMessage([]).text, 'Nothing to audit: no audit matched.');
});

test('work-done percentages become increments that never go backwards', () => {
  const p = new ProgressIncrements();
  assert.equal(p.next(undefined), undefined);
  assert.equal(p.next(10), 10);
  assert.equal(p.next(25), 15);
  assert.equal(p.next(20), undefined);
  assert.equal(p.next(140), 75);
  assert.equal(p.next(100), undefined);
});
