/**
 * End to end through auditTarget: a Keras .h5 target with a loss-threshold attack and a
 * shadow attack (4 shadows copying its architecture, 1 epoch), an ONNX target whose
 * shadows copy the Keras file named by `shadow.architecture`, and an ONNX target without
 * it, whose shadows copy its own graph converted to TF.js layers. The
 * loss-threshold AUC and member accuracy are checked against numpy/torch values computed
 * by scripts/make-model-fixtures.py.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auditTarget } from '../../src/engine/audit';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'models');
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')).audit as Record<string, { lossThresholdAuc: number; memberAccuracy: number }>;
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-model-audit-'));

after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

test('Keras and ONNX targets are audited, shadows included', { timeout: 50_000 }, async () => {
  // The manifest names models one folder up: the fixtures folder is its workspace.
  const report = await auditTarget(path.join(FIXTURES, 'audit', 'privacy-audit.json'), { cacheDir, workers: 1, workspaceRoot: FIXTURES });
  for (const name of ['keras-h5', 'onnx-with-keras-shadows']) {
    const audit = report.audits.find((a) => a.name === name);
    assert.ok(audit, `${name} ran: ${JSON.stringify(report.findings.map((f) => f.message))}`);
    assert.deepEqual(audit.errors, [], `${name}: no attack failed`);
    assert.ok(Math.abs(audit.accuracy.members - expected[name].memberAccuracy) < 1e-12, `${name}: member accuracy ${audit.accuracy.members} vs ${expected[name].memberAccuracy}`);
    const loss = audit.attacks.find((a) => a.id === 'loss-threshold');
    assert.ok(loss, `${name}: loss-threshold ran`);
    assert.ok(Math.abs(loss.metrics.auc - expected[name].lossThresholdAuc) < 1e-9, `${name}: loss AUC ${loss.metrics.auc} vs numpy ${expected[name].lossThresholdAuc}`);
    const lira = audit.attacks.find((a) => a.id === 'lira-offline');
    assert.ok(lira, `${name}: the shadow attack ran`);
    assert.ok(lira.metrics.auc >= 0 && lira.metrics.auc <= 1, `${name}: LiRA AUC ${lira.metrics.auc}`);
    assert.ok(lira.notes?.some((n) => /4 shadow models/.test(n)), `${name}: 4 shadows trained: ${lira.notes}`);
    assert.ok(!lira.notes?.some((n) => /default architecture/.test(n)), `${name}: shadows copy a real architecture: ${lira.notes}`);
  }
  // The explicit architecture is used: same Keras file, records and settings as keras-h5, so its shadows come from that audit's cache.
  const explicit = report.audits.find((a) => a.name === 'onnx-with-keras-shadows')?.attacks.find((a) => a.id === 'lira-offline');
  assert.ok(explicit?.notes?.some((n) => /4 shadow models \(4 from cache\)/.test(n)), `the Keras shadows are reused: ${explicit?.notes}`);

  // Without shadow.architecture the ONNX target's shadows copy its own converted graph: no fallback said anywhere.
  const defaulted = report.audits.find((a) => a.name === 'onnx-without-architecture');
  assert.ok(defaulted, `onnx-without-architecture ran: ${JSON.stringify(report.findings.map((f) => [f.audit, f.rule, f.message]))}`);
  assert.deepEqual(defaulted.errors, [], 'onnx-without-architecture: no attack failed');
  const lira = defaulted.attacks.find((a) => a.id === 'lira-offline');
  assert.ok(lira, 'onnx-without-architecture: the shadow attack ran');
  assert.ok(lira.metrics.auc >= 0 && lira.metrics.auc <= 1, `converted shadows: LiRA AUC ${lira.metrics.auc}`);
  assert.equal(lira.architectureFallback, undefined, 'no fallback');
  assert.ok(!lira.notes?.some((n) => /default architecture/.test(n)), `no default-architecture note: ${lira.notes}`);
  assert.ok(!report.findings.some((f) => f.rule === 'fallback-architecture'), 'no fallback-architecture finding');
  // Same records and settings as the Keras shadows, yet none of theirs is reused.
  assert.ok(lira.notes?.some((n) => /4 shadow models \(0 from cache\)/.test(n)), `converted shadows are trained, not taken from the Keras ones: ${lira.notes}`);
  assert.ok(!report.findings.some((f) => f.audit === 'onnx-without-architecture' && /shadow\.architecture/.test(f.message)),
    `no finding asks for shadow.architecture any more: ${JSON.stringify(report.findings.map((f) => [f.audit, f.rule, f.message]))}`);
});

test('a Lambda layer is a serialized-code finding and an unknown layer an unsupported-layer finding, on the model key', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-layer-findings-'));
  try {
    for (const f of ['members.csv', 'nonmembers.csv']) fs.copyFileSync(path.join(FIXTURES, 'audit', f), path.join(dir, f));
    for (const f of ['keras2-lambda.h5', 'keras2-unsupported.h5']) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
    const audit = (name: string, model: string) => ({ name, model, members: 'members.csv', nonMembers: 'nonmembers.csv', label: 'label', attacks: ['loss-threshold'] });
    fs.writeFileSync(path.join(dir, 'privacy-audit.json'), JSON.stringify({ version: 1, audits: [audit('lambda', 'keras2-lambda.h5'), audit('unsupported', 'keras2-unsupported.h5')] }, null, 2));
    const report = await auditTarget(path.join(dir, 'privacy-audit.json'), { cacheDir });
    const lambda = report.findings.find((f) => f.audit === 'lambda');
    assert.equal(lambda?.rule, 'serialized-code', `Lambda: ${JSON.stringify(lambda)}`);
    assert.equal(lambda?.severity, 'medium', 'Lambda: the rule\'s default severity');
    assert.match(lambda?.message ?? '', /scale_by_two/, 'Lambda: the message names the layer');
    assert.ok(lambda?.location.range, 'Lambda: on the manifest\'s "model" value');
    const other = report.findings.find((f) => f.audit === 'unsupported');
    assert.equal(other?.rule, 'unsupported-layer', `unsupported: ${JSON.stringify(other)}`);
    assert.match(other?.message ?? '', /UnitNormalization/, 'unsupported: the message names the layer class');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a training-time defense of an ONNX target is retrained with its converted architecture, with no default-architecture note, cached or not', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-defended-default-'));
  try {
    for (const f of ['members.csv', 'nonmembers.csv']) fs.copyFileSync(path.join(FIXTURES, 'audit', f), path.join(dir, f));
    fs.copyFileSync(path.join(FIXTURES, 'torch-mlp.onnx'), path.join(dir, 'torch-mlp.onnx'));
    fs.writeFileSync(path.join(dir, 'privacy-audit.json'), JSON.stringify({
      version: 1,
      audits: [{
        name: 'onnx-l2', model: 'torch-mlp.onnx', members: 'members.csv', nonMembers: 'nonmembers.csv', attacks: ['loss-threshold'],
        defenses: { attacks: ['loss-threshold'], evaluate: [{ name: 'l2', epochs: 1 }] },
      }],
    }, null, 2));
    for (const run of ['trained', 'cached']) {
      const report = await auditTarget(path.join(dir, 'privacy-audit.json'), { cacheDir, workers: 1 });
      const l2 = report.audits[0]?.defenses?.evaluations[0];
      assert.ok(l2, `${run}: the l2 evaluation ran: ${JSON.stringify(report.findings.map((f) => f.message))}`);
      assert.deepEqual(l2.errors, [], `${run}: no error`);
      assert.ok(!l2.notes?.some((n) => /default architecture/.test(n)), `${run}: no default-architecture note: ${l2.notes}`);
      assert.equal(l2.notes?.includes('Defended model read from the cache.'), run === 'cached', `${run}: cache hit said only when it happened: ${l2.notes}`);
      assert.equal(report.audits[0]!.defenses!.baseline.notes, undefined, `${run}: the baseline has no notes`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
