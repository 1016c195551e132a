import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyReportMessage, selectAttack, selectAudit } from '../../webview/src/state';
import { findingsForAudit, pickAttack, pickAudit } from '../../webview/src/selectors';
import { sampleReport } from './report-sample';

test('a first report selects the first audit and its strongest attack at 0.1% FPR', () => {
  const report = sampleReport();
  const state = applyReportMessage(undefined, { type: 'report', report });
  assert.equal(state.audit, 'tabular');
  assert.equal(state.attack, 'loss-threshold', 'TPR 5% beats 0.2% at 0.1% FPR');
});

test('the audit the host names wins over the previous selection', () => {
  const report = sampleReport();
  const previous = { report, audit: 'tabular', attack: '=calibrated, "odd" name' };
  const state = applyReportMessage(previous, { type: 'report', report, audit: 'images' });
  assert.equal(state.audit, 'images');
  assert.equal(state.attack, 'entropy-threshold');
});

test('a re-sent report keeps the user\'s audit and attack', () => {
  const report = sampleReport();
  const previous = { report, audit: 'tabular', attack: '=calibrated, "odd" name' };
  assert.deepEqual(applyReportMessage(previous, { type: 'report', report }), previous);
});

test('a selection the new report lacks falls back to the defaults', () => {
  const report = sampleReport();
  const state = applyReportMessage({ report, audit: 'gone', attack: 'gone' }, { type: 'report', report });
  assert.equal(state.audit, 'tabular');
  assert.equal(state.attack, 'loss-threshold');
  assert.equal(pickAudit({ ...report, audits: [] }, 'x'), undefined);
});

test('choosing an audit resets the attack; choosing an attack keeps the audit', () => {
  const report = sampleReport();
  const s1 = selectAudit({ report, audit: 'tabular', attack: '=calibrated, "odd" name' }, 'images');
  assert.deepEqual([s1.audit, s1.attack], ['images', 'entropy-threshold']);
  const s2 = selectAttack({ report, audit: 'tabular', attack: 'loss-threshold' }, '=calibrated, "odd" name');
  assert.deepEqual([s2.audit, s2.attack], ['tabular', '=calibrated, "odd" name']);
  assert.equal(pickAttack(report.audits[0], 'loss-threshold')?.id, 'loss-threshold');
});

test('findings of the audit and report-wide ones are listed, most severe first', () => {
  const findings = findingsForAudit(sampleReport(), 'tabular');
  assert.deepEqual(
    findings.map((f) => f.rule),
    ['membership-risk', 'unsafe-artifact', 'unmeasurable-fpr'],
  );
  assert.deepEqual(findingsForAudit(sampleReport(), 'images').map((f) => f.rule), ['unsafe-artifact', 'generalization-gap']);
});
