/** The status item's text, tooltip links and background per engine state; settings; restarts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditSummary, EngineStatus } from '../../src/shared/protocol';
import { escapeMarkdown, statusView, TOOLTIP_COMMANDS } from '../../src/extension/status-text';
import { RestartPolicy } from '../../src/extension/restart-policy';
import { readEngineSettings, DEFAULT_EXCLUDE, settingsChangeEffect } from '../../src/extension/engine-settings';
import { outcomeLine } from '../../src/extension/results/summary-format';
import { auditDescription } from '../../src/extension/tree/tree-model';
import { auditLenses } from '../../src/extension/codelens/audit-lenses';
import type { ManifestOutline } from '../../src/extension/detection/manifest-outline';

const idle: EngineStatus = { state: 'idle', running: [] };
const last: AuditSummary = { reportKey: '/ws/privacy-audit.json', manifest: '/ws/privacy-audit.json', audit: 'mlp', model: '/ws/m/model.json', auc: 0.7, tprAt01pctFpr: 0.02, severity: 'high', findings: 2, stale: false };

function links(tooltip: string): string[] {
  return [...tooltip.matchAll(/\]\(command:([^)?]+)/g)].map((m) => m[1]!);
}

test('each state has its icon, and command links only to allowed commands', () => {
  const cases = [
    { input: { lifecycle: 'restricted' as const }, text: '$(workspace-untrusted) Model Privacy', links: ['workbench.trust.manage'] },
    { input: { lifecycle: 'starting' as const }, text: '$(sync~spin) Model Privacy', links: ['modelPrivacy.showLog'] },
    { input: { lifecycle: 'stopped' as const }, text: '$(circle-slash) Model Privacy', links: ['modelPrivacy.restartEngine', 'modelPrivacy.showLog'] },
    { input: { lifecycle: 'running' as const, engine: idle }, text: '$(shield) Model Privacy', links: ['modelPrivacy.showLog', 'modelPrivacy.restartEngine'] },
    { input: { lifecycle: 'running' as const, engine: { state: 'auditing' as const, running: ['mlp'] } }, text: '$(sync~spin) Auditing mlp', links: ['modelPrivacy.cancel', 'modelPrivacy.showLog'] },
    { input: { lifecycle: 'running' as const, engine: { ...idle, lastSummary: last } }, text: '$(shield) High risk', links: ['modelPrivacy.openReport', 'modelPrivacy.showLog', 'modelPrivacy.restartEngine'] },
  ];
  for (const c of cases) {
    const view = statusView(c.input);
    assert.equal(view.text, c.text);
    assert.deepEqual(links(view.tooltip), c.links);
    assert.equal(view.background, undefined);
    for (const l of links(view.tooltip)) assert.ok(TOOLTIP_COMMANDS.includes(l), l);
  }
  assert.equal(statusView({ lifecycle: 'running', engine: { ...idle, lastSummary: { ...last, severity: undefined } } }).text, '$(shield) No findings');
  assert.equal(statusView({ lifecycle: 'running', engine: { state: 'auditing', running: ['a', 'b'] } }).text, '$(sync~spin) Auditing models');
});

test('engine errors use the error icon and a highlighted background, and quote the reason safely', () => {
  const crashed = statusView({ lifecycle: 'crashed', error: 'exit code 1 [see](http://x)' });
  assert.equal(crashed.text, '$(error) Model Privacy');
  assert.equal(crashed.background, 'error');
  assert.ok(!crashed.tooltip.includes('[see](http'), 'engine text must not become a link');
  assert.deepEqual(links(crashed.tooltip), ['modelPrivacy.restartEngine', 'modelPrivacy.showLog']);
  const failed = statusView({ lifecycle: 'running', engine: { state: 'error', running: [], message: 'model.json: not a model' } });
  assert.equal(failed.text, '$(error) Model Privacy');
  assert.equal(failed.background, 'warning');
  assert.match(failed.tooltip, /model\\\.json: not a model/);
});

test('markdown escaping neutralises links and emphasis', () => {
  assert.equal(escapeMarkdown('[a](command:x) *b*'), '\\[a\\]\\(command:x\\) \\*b\\*');
});

test('crashes: 4 automatic restarts within 3 minutes, then the user decides', () => {
  const policy = new RestartPolicy(4, 180_000);
  const t0 = 1_000_000;
  assert.deepEqual([0, 1, 2, 3].map((i) => policy.crashed(t0 + i * 1000)), [true, true, true, true]);
  assert.equal(policy.crashed(t0 + 5000), false);
  // Crashes older than the window no longer count.
  assert.equal(policy.crashed(t0 + 180_000 + 4000), true);
  policy.reset();
  assert.equal(policy.crashed(t0 + 200_000), true);
});

test('settings map to EngineSettings; out-of-range values fall back to defaults', () => {
  const values: Record<string, unknown> = {
    'engine.backend': 'wasm', 'engine.workers': 2, 'policy.maxTprAtFpr': 0.05, 'policy.fpr': 0.01, 'policy.maxAuc': 0.65,
    'sweep.attacks': ['loss-threshold'], exclude: ['**/tmp/**'], shadowModels: 1024,
  };
  assert.deepEqual(readEngineSettings((k) => values[k]), {
    backend: 'wasm', workers: 2, sweepAttacks: ['loss-threshold'], shadowModels: 1024, defaultPolicy: { maxTprAtFpr: 0.05, fpr: 0.01, maxAuc: 0.65 }, exclude: ['**/tmp/**'], queueUrl: '',
  });
  const bad: Record<string, unknown> = { 'engine.backend': 'gpu', 'engine.workers': -1, 'policy.maxAuc': 3, 'sweep.attacks': [1], exclude: 'x', shadowModels: 1 };
  assert.deepEqual(readEngineSettings((k) => bad[k]), {
    backend: 'auto', workers: 0, sweepAttacks: [], shadowModels: 8, defaultPolicy: { maxTprAtFpr: 0.01, fpr: 0.001, maxAuc: 0.6 }, exclude: [...DEFAULT_EXCLUDE], queueUrl: '',
  });
});

test('policy, sweep and exclude changes go to the running engine; backend and workers offer a restart', () => {
  const change = (...sections: string[]) => settingsChangeEffect((s) => sections.some((c) => c === s || c.startsWith(`${s}.`)));
  assert.deepEqual(change('modelPrivacy.policy.maxAuc'), { send: true, restart: false });
  assert.deepEqual(change('modelPrivacy.sweep.attacks'), { send: true, restart: false });
  assert.deepEqual(change('modelPrivacy.exclude'), { send: true, restart: false });
  assert.deepEqual(change('modelPrivacy.shadowModels'), { send: true, restart: false });
  assert.deepEqual(change('modelPrivacy.engine.backend'), { send: false, restart: true });
  assert.deepEqual(change('modelPrivacy.engine.workers', 'modelPrivacy.policy.fpr'), { send: true, restart: true });
  assert.deepEqual(change('files.exclude'), { send: false, restart: false });
});

test('a preliminary verdict reads "preliminary" in the status item, its tooltip, CodeLens, tree and outcome line', () => {
  const preliminary: AuditSummary = { ...last, preliminary: true };
  const auditing = statusView({ lifecycle: 'running', engine: { state: 'auditing', running: ['mlp'], preliminary: [{ ...preliminary, audit: 'low', severity: 'medium' }, preliminary] } });
  assert.equal(auditing.text, '$(sync~spin) Auditing mlp · preliminary: high risk', 'the worst preliminary verdict');
  assert.match(auditing.tooltip, /Preliminary \(threshold attacks only; shadow-model attacks still running\): mlp: AUC 0\\\.700/);
  assert.deepEqual(links(auditing.tooltip), ['modelPrivacy.cancel', 'modelPrivacy.showLog']);
  // Cancelled after the preliminary result: the last summary stays marked.
  assert.equal(statusView({ lifecycle: 'running', engine: { ...idle, lastSummary: preliminary } }).text, '$(shield) High risk (preliminary)');
  assert.equal(outcomeLine(preliminary), 'mlp: AUC 0.700 · TPR@0.1% FPR 2% · 2 findings (preliminary)');
  assert.equal(outcomeLine({ ...preliminary, stale: true }), 'mlp: AUC 0.700 · TPR@0.1% FPR 2% · 2 findings (preliminary, stale)');
  assert.equal(auditDescription(preliminary), 'AUC 0.70 · TPR@0.1% 2% · preliminary');
  assert.equal(auditDescription(last), 'AUC 0.70 · TPR@0.1% 2%', 'a final result has no mark');
  const outline: ManifestOutline = { audits: [{ name: 'mlp', nameOffset: 10, nameLength: 5 }], incomplete: false };
  assert.equal(auditLenses('/ws/privacy-audit.json', outline, () => preliminary)[0]!.title, 'AUC 0.700 · TPR@0.1% FPR 2% (preliminary: threshold attacks only)');
  assert.equal(auditLenses('/ws/privacy-audit.json', outline, () => last)[0]!.title, 'AUC 0.700 · TPR@0.1% FPR 2%');
});
