import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditTarget } from '../../src/engine/audit';
import { rocAucScore } from '../../src/engine/metrics';
import { overfitWorkspace } from '../helpers/overfit-workspace';

test('threshold attacks expose a model that memorised random labels', { timeout: 120_000 }, async () => {
  const ws = await overfitWorkspace();
  const report = await auditTarget(ws.manifest);
  assert.equal(report.audits.length, 1, JSON.stringify(report.findings));
  const audit = report.audits[0];
  assert.equal(audit.errors.length, 0);
  assert.ok(audit.accuracy.members > 0.9, `members accuracy ${audit.accuracy.members}`);
  assert.ok(audit.accuracy.nonMembers < 0.6, `non-members accuracy ${audit.accuracy.nonMembers}`);
  const loss = audit.attacks.find((a) => a.id === 'loss-threshold')!;
  assert.ok(loss.metrics.auc > 0.8, `loss AUC ${loss.metrics.auc}`);
  assert.ok(loss.metrics.advantage > 0.5, `loss advantage ${loss.metrics.advantage}`);
  // Every signal that uses the true label separates members; entropy ignores the label and is
  // weak on random labels (the model is confident on non-members too), as Song & Mittal note.
  for (const a of audit.attacks.filter((x) => x.id !== 'entropy-threshold')) assert.ok(a.metrics.auc > 0.8, `${a.id} AUC ${a.metrics.auc}`);
  const entropy = audit.attacks.find((a) => a.id === 'entropy-threshold')!;
  assert.ok(entropy.metrics.auc < loss.metrics.auc, 'entropy.metrics.auc < loss.metrics.auc');
  // The population attack picks its own thresholds: they must land near the FPR it aimed at.
  const pop = audit.attacks.find((a) => a.id === 'loss-population')!;
  assert.ok(pop.calibratedPoints && pop.calibratedPoints[0].targetFpr === 0.01, 'pop.calibratedPoints && pop.calibratedPoints[0].targetFpr === 0.01');
  assert.ok(pop.calibratedPoints[0].fprInterval.lower <= 0.05, 'pop.calibratedPoints[0].fprInterval.lower <= 0.05');
  // Findings: high membership risk on the attack entry of the manifest, and the generalization gap.
  const risk = report.findings.filter((f) => f.rule === 'membership-risk');
  assert.ok(risk.some((f) => f.severity === 'high' && f.attack === 'loss-threshold'), 'risk.some((f) => f.severity === \'high\' && f.attack === \'loss-threshold\')');
  const text = fs.readFileSync(ws.manifest, 'utf8');
  const f = risk.find((x) => x.attack === 'loss-threshold')!;
  assert.equal(text.slice(f.location.range!.offset, f.location.range!.offset + f.location.range!.length), '"loss-threshold"');
  assert.ok(report.findings.some((x) => x.rule === 'generalization-gap'), 'report.findings.some((x) => x.rule === \'generalization-gap\')');
  // Most vulnerable records are indices, never contents.
  assert.ok(loss.mostVulnerable.every((r) => Number.isInteger(r.index)), 'loss.mostVulnerable.every((r) => Number.isInteger(r.index))');
  assert.equal(report.root, path.dirname(ws.manifest));
});

test('per-record scores agree with an independent AUC computation', { timeout: 120_000 }, async () => {
  const ws = await overfitWorkspace();
  const report = await auditTarget(ws.manifest, { attacks: ['confidence-threshold'] });
  const a = report.audits[0].attacks[0];
  // The histogram counts every record once on each side.
  assert.equal(a.histogram.members.reduce((x, y) => x + y, 0), 150);
  assert.equal(a.histogram.nonMembers.reduce((x, y) => x + y, 0), 150);
  assert.ok(a.metrics.auc > 0.5 && a.metrics.auc <= 1, 'a.metrics.auc > 0.5 && a.metrics.auc <= 1');
  assert.equal(rocAucScore([1, 0], [true, false]), 1);
});

test('a dataset error becomes a finding on the manifest key, other audits still run', { timeout: 120_000 }, async () => {
  const ws = await overfitWorkspace();
  const bad = path.join(ws.dir, 'bad.csv');
  fs.writeFileSync(bad, 'f0,f1,f2,f3,f4,f5,f6,f7,label\n1,2,3,4,5,6,7,oops,1\n');
  const manifest = path.join(ws.dir, 'two-audits.json');
  const good = JSON.parse(fs.readFileSync(ws.manifest, 'utf8')).audits[0];
  fs.writeFileSync(manifest, JSON.stringify({ version: 1, audits: [{ ...good, name: 'broken', nonMembers: 'bad.csv' }, good] }, null, 2));
  const report = await auditTarget(manifest, { attacks: ['loss-threshold'] });
  assert.deepEqual(report.audits.map((a) => a.name), ['overfit-mlp']);
  const err = report.findings.find((f) => f.rule === 'invalid-input')!;
  assert.match(err.message, /bad\.csv:2:8/);
  assert.match(err.message, /f7/);
  const text = fs.readFileSync(manifest, 'utf8');
  assert.equal(text.slice(err.location.range!.offset, err.location.range!.offset + err.location.range!.length), '"bad.csv"');
});

test('shadow-model attacks run through the audit and beat chance on the memorising model', { timeout: 240_000 }, async () => {
  const ws = await overfitWorkspace();
  const manifest = path.join(ws.dir, 'shadow-audit.json');
  const good = JSON.parse(fs.readFileSync(ws.manifest, 'utf8')).audits[0];
  fs.writeFileSync(manifest, JSON.stringify({
    version: 1,
    audits: [{ ...good, attacks: ['lira-online', 'lira-offline-fixed', 'rmia', 'difficulty-calibration', 'shokri'], shadow: { count: 8, epochs: 60, batchSize: 32, learningRate: 0.01, seed: 3 } }],
  }, null, 2));
  const cacheDir = fs.mkdtempSync(path.join(ws.dir, 'cache-'));
  const first = await auditTarget(manifest, { cacheDir });
  const audit = first.audits[0];
  assert.deepEqual(audit.errors, [], 'no attack failed');
  assert.deepEqual(audit.attacks.map((a) => a.id), ['lira-online', 'lira-offline-fixed', 'rmia', 'difficulty-calibration', 'shokri']);
  for (const a of audit.attacks) assert.ok(a.metrics.auc > 0.6, `${a.id} AUC ${a.metrics.auc}`);
  assert.match(audit.attacks[0].notes?.join(' ') ?? '', /8 shadow models \(0 from cache\)/);
  // A second run reads every shadow from the cache and gives the same scores.
  const second = await auditTarget(manifest, { cacheDir });
  assert.match(second.audits[0].attacks[0].notes?.join(' ') ?? '', /8 shadow models \(8 from cache\)/);
  assert.equal(second.audits[0].attacks[0].metrics.auc, audit.attacks[0].metrics.auc, 'same AUC from cached shadows');
});

test('impossible shadow settings are an input finding that names the manifest key', { timeout: 120_000 }, async () => {
  const ws = await overfitWorkspace();
  const manifest = path.join(ws.dir, 'bad-shadow.json');
  const good = JSON.parse(fs.readFileSync(ws.manifest, 'utf8')).audits[0];
  const { population: _population, ...withoutPopulation } = good;
  fs.writeFileSync(manifest, JSON.stringify({ version: 1, audits: [{ ...withoutPopulation, attacks: ['lira-online'], shadow: { count: 4, trainSize: 10000 } }] }, null, 2));
  const report = await auditTarget(manifest, { cacheDir: fs.mkdtempSync(path.join(ws.dir, 'cache-')) });
  const finding = report.findings.find((f) => f.rule === 'invalid-input');
  assert.ok(finding, `an invalid-input finding: ${JSON.stringify(report.findings.map((f) => f.rule))}`);
  assert.match(finding.message, /bad-shadow\.json \(field "audits\[0\]\.shadow\.trainSize"\)/);
});
