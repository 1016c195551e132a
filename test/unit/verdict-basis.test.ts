/**
 * Strong by default and honest about it: the default attack list depends on the data,
 * the threshold attacks' verdict comes first (marked preliminary), the final verdict
 * says which attacks it rests on, and reference models that fit unlike the target are
 * called out. Runs the real audit entry point on a model known to memorise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditTarget } from '../../src/engine/audit';
import { defaultAttacks, DEFAULT_ATTACKS, DEFAULT_REFERENCE_ATTACKS } from '../../src/engine/attacks/catalog';
import { judgeShadowQuality, shadowAccuracies } from '../../src/engine/audit/shadow-quality';
import type { AuditReport } from '../../src/engine/report/schema';
import { toText } from '../../src/engine/report/text';
import { overfitWorkspace } from '../helpers/overfit-workspace';

/** The overfit workspace's audit with its attack list removed (the defaults apply), written as a new manifest. */
async function defaultsManifest(name: string, edit: (audit: Record<string, unknown>) => void = () => undefined): Promise<{ manifest: string; dir: string }> {
  const ws = await overfitWorkspace();
  const audit = JSON.parse(fs.readFileSync(ws.manifest, 'utf8')).audits[0];
  delete audit.attacks;
  edit(audit);
  const manifest = path.join(ws.dir, `${name}.json`);
  fs.writeFileSync(manifest, JSON.stringify({ version: 1, audits: [audit] }, null, 2));
  return { manifest, dir: ws.dir };
}

test('the default attack list adds reference-model attacks only when there is population data', () => {
  assert.deepEqual(defaultAttacks(true), [...DEFAULT_ATTACKS, ...DEFAULT_REFERENCE_ATTACKS]);
  assert.ok(DEFAULT_REFERENCE_ATTACKS.includes('rmia') && DEFAULT_REFERENCE_ATTACKS.includes('lira-offline'));
  const without = defaultAttacks(false);
  assert.ok(without.every((id) => !DEFAULT_REFERENCE_ATTACKS.includes(id)));
  assert.ok(!without.includes('loss-population'), 'the population-calibrated threshold is left out without population');
  assert.ok(without.includes('loss-threshold'));
});

test('shadow accuracies: IN and OUT records per shadow, averaged over shadows', () => {
  // 4 records, 2 shadows, 2 classes, 1 query. Labels 0,1,0,1.
  const labels = Int32Array.from([0, 1, 0, 1]);
  // keep[r * 2 + s]: shadow 0 trains on records 0,1; shadow 1 on records 2,3.
  const keep = Uint8Array.from([1, 0, 1, 0, 0, 1, 0, 1]);
  // Shadow 0 right on 0,1 (IN) and on 2 (OUT), wrong on 3: train 1, test 0.5.
  const s0 = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.7, 0.3, 0.6, 0.4]);
  // Shadow 1 wrong on 0 (OUT), right on 1 (OUT), right on 2,3 (IN): train 1, test 0.5.
  const s1 = Float32Array.from([0.4, 0.6, 0.1, 0.9, 0.8, 0.2, 0.3, 0.7]);
  const acc = shadowAccuracies({ shadows: 2, queries: 1, numClasses: 2, keep, auditProbabilities: [s0, s1] }, labels);
  assert.equal(acc.train, 1);
  assert.equal(acc.test, 0.5);
});

test('shadow quality: a gap far from the target\'s, or a different test accuracy, is a mismatch; a close fit is not', () => {
  const target = { train: 1, test: 0.8 };
  assert.equal(judgeShadowQuality({ train: 0.97, test: 0.79 }, target, 8).mismatch, false);
  // Shadows barely overfit (gap 2 points) while the target's gap is 20: understated attacks.
  assert.equal(judgeShadowQuality({ train: 0.84, test: 0.82 }, target, 8).mismatch, true);
  // Same gap but far less accurate shadows.
  assert.equal(judgeShadowQuality({ train: 0.8, test: 0.6 }, target, 8).mismatch, true);
  // The relative tolerance scales with the target's gap (50% of 40 points = 20).
  assert.equal(judgeShadowQuality({ train: 0.95, test: 0.65 }, { train: 1, test: 0.6 }, 8).mismatch, false);
});

test('with population data and no attack list: a preliminary threshold verdict first, then a final one from reference-model attacks', { timeout: 300_000 }, async () => {
  const { manifest, dir } = await defaultsManifest('defaults-with-population');
  const events: string[] = [];
  let preliminary: AuditReport | undefined;
  const report = await auditTarget(manifest, {
    cacheDir: fs.mkdtempSync(path.join(dir, 'cache-')),
    onAuditPreliminary: (r) => {
      events.push('preliminary');
      preliminary = r;
    },
    onAuditDone: () => events.push('done'),
  });
  assert.deepEqual(events, ['preliminary', 'done']);
  const first = preliminary!.audits[0];
  assert.equal(first.preliminary, true);
  assert.deepEqual(first.attacks.map((a) => a.id), [...DEFAULT_ATTACKS], 'the preliminary result has the threshold attacks only');
  assert.deepEqual(first.basis?.pending, [...DEFAULT_REFERENCE_ATTACKS]);
  const note = preliminary!.findings.find((f) => f.rule === 'threshold-only-audit');
  assert.ok(note && note.severity === 'info' && /Preliminary/.test(note.message), 'the preliminary verdict says so');
  // The preliminary findings include the threshold attacks' own verdict (this model memorises).
  assert.ok(preliminary!.findings.some((f) => f.rule === 'membership-risk'));

  const audit = report.audits[0];
  assert.equal(audit.preliminary, undefined);
  assert.deepEqual(audit.errors, []);
  assert.deepEqual(audit.attacks.map((a) => a.id), [...DEFAULT_ATTACKS, ...DEFAULT_REFERENCE_ATTACKS]);
  assert.equal(audit.basis?.thresholdOnly, false);
  assert.deepEqual(audit.basis?.referenceAttacks, [...DEFAULT_REFERENCE_ATTACKS]);
  assert.equal(audit.basis?.referenceModels, 8);
  assert.ok(!report.findings.some((f) => f.rule === 'threshold-only-audit'), 'a verdict with reference-model attacks is not threshold-only');
  assert.ok(report.findings.some((f) => f.rule === 'membership-risk' && f.attack === 'rmia'), 'RMIA finds the memorising model');
  // Reference models: accuracies measured on their own IN and OUT records, beside the target's.
  const q = audit.shadowQuality!;
  assert.equal(q.shadows, 8);
  assert.equal(q.targetTrainAccuracy, audit.accuracy.members);
  assert.equal(q.targetTestAccuracy, audit.accuracy.nonMembers);
  assert.ok(q.shadowTrainAccuracy > q.shadowTestAccuracy, 'shadows fit their own training records better');
  assert.equal(report.findings.some((f) => f.rule === 'shadow-quality'), q.mismatch);
  const text = toText(report);
  assert.match(text, /Verdict rests on +rmia, lira-offline-fixed, lira-online-fixed, lira-offline on 8 reference models/);
  assert.match(text, /Reference models +train /);
});

test('without population data: threshold attacks only, and a finding that says so and how to get a stronger audit', { timeout: 120_000 }, async () => {
  const { manifest } = await defaultsManifest('defaults-without-population', (a) => delete a.population);
  let preliminaryCalls = 0;
  const report = await auditTarget(manifest, { onAuditPreliminary: () => preliminaryCalls++ });
  assert.equal(preliminaryCalls, 0, 'nothing slower follows, so there is no preliminary answer');
  const audit = report.audits[0];
  assert.deepEqual(audit.errors, []);
  assert.equal(audit.basis?.thresholdOnly, true);
  assert.equal(audit.basis?.reason, 'no-population');
  const weak = report.findings.filter((f) => f.rule === 'threshold-only-audit');
  assert.equal(weak.length, 1);
  assert.equal(weak[0].severity, 'medium');
  assert.match(weak[0].message, /threshold attacks alone/);
  assert.match(weak[0].message, /Add "population" data/);
  assert.match(toText(report), /Verdict rests on +threshold attacks only/);
});

test('an attack that cannot run on the data is recorded before anything trains, and the others still run', { timeout: 120_000 }, async () => {
  const { manifest, dir } = await defaultsManifest('rmia-without-population', (a) => {
    delete a.population;
    a.attacks = ['loss-threshold', 'rmia'];
  });
  const cacheDir = fs.mkdtempSync(path.join(dir, 'cache-'));
  const report = await auditTarget(manifest, { cacheDir });
  const audit = report.audits[0];
  assert.deepEqual(audit.attacks.map((a) => a.id), ['loss-threshold']);
  assert.equal(audit.errors.length, 1);
  assert.equal(audit.errors[0].attack, 'rmia');
  assert.match(audit.errors[0].message, /not applicable: needs "population" data/);
  assert.deepEqual(fs.readdirSync(cacheDir), [], 'no shadow model was trained');
  const finding = report.findings.find((f) => f.attack === 'rmia')!;
  assert.equal(finding.rule, 'invalid-input');
  // The verdict rests on threshold attacks only, because of the missing population.
  assert.equal(audit.basis?.reason, 'no-population');
});

test('an input error in a slower attack keeps the threshold attacks\' results, said to rest on them alone', { timeout: 120_000 }, async () => {
  const { manifest, dir } = await defaultsManifest('impossible-shadows', (a) => {
    a.attacks = ['loss-threshold', 'lira-offline'];
    // More records per shadow than members and population together: a setting error on this key.
    a.shadow = { count: 4, trainSize: 100000 };
  });
  const report = await auditTarget(manifest, { cacheDir: fs.mkdtempSync(path.join(dir, 'cache-')) });
  assert.equal(report.audits.length, 1, 'the partial result is kept');
  const audit = report.audits[0];
  assert.deepEqual(audit.attacks.map((a) => a.id), ['loss-threshold']);
  assert.equal(audit.preliminary, undefined);
  assert.equal(audit.basis?.thresholdOnly, true);
  assert.equal(audit.basis?.reason, 'failed');
  const error = report.findings.find((f) => f.rule === 'invalid-input')!;
  assert.match(error.message, /trainSize/);
  assert.ok(report.findings.some((f) => f.rule === 'threshold-only-audit' && /failed/.test(f.message)));
});
