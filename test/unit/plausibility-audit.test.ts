/**
 * Each mis-specification of issue 11 reproduced on real models (PyTorch exports from
 * scripts/make-plausibility-fixtures.py, a seeded TF.js MLP, the Fashion-MNIST example) and
 * audited through auditTarget: each gives its finding or stops with exit code 2, and the
 * correctly specified audit of the same files gives none of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { auditTarget } from '../../src/engine/audit';
import type { AuditReport, Finding } from '../../src/engine/report/schema';
import { exitCodeFor } from '../../src/cli/exit-codes';
import { layersModelFileWriter } from '../../src/engine/artifacts/models/tfjs-layers-files';
import { overfitWorkspace } from '../helpers/overfit-workspace';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'plausibility');
const reference = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'reference.json'), 'utf8'));
const PLAUSIBILITY_RULES = new Set(['accuracy-at-chance', 'swapped-membership', 'feature-scale', 'degenerate-model', 'image-layout']);

/** A copy of the fixtures (audits may write a cache beside the manifest). */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-plausibility-'));
for (const f of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));

async function audit(name: string, audits: object[], where = dir): Promise<{ report: AuditReport; manifest: string; text: string }> {
  const manifest = path.join(where, `${name}.json`);
  const text = JSON.stringify({ version: 1, audits }, null, 2);
  fs.writeFileSync(manifest, text);
  return { report: await auditTarget(manifest), manifest, text };
}

const plausibility = (r: AuditReport) => r.findings.filter((f) => PLAUSIBILITY_RULES.has(f.rule));
const rangeText = (text: string, f: Finding) => text.slice(f.location.range!.offset, f.location.range!.offset + f.location.range!.length);

const images = (kind: 'hwc' | 'flat', extra: object) => ({
  name: 'cnn', model: 'cnn-chw.onnx', attacks: ['loss-threshold'],
  members: { path: `images-${kind}-members.npy`, labelsPath: 'image-members-labels.npy' },
  nonMembers: { path: `images-${kind}-nonmembers.npy`, labelsPath: 'image-nonmembers-labels.npy' },
  ...extra,
});
const normalise = { scale: 0.00392156862745098, mean: reference.cnn.channelMean, std: reference.cnn.channelStd };
// The same normalisation written per feature in stored (height, width, channel) order, as a StandardScaler over flattened pixels would.
const perFeature = {
  scale: 0.00392156862745098,
  mean: Array.from({ length: 192 }, (_, j) => reference.cnn.channelMean[j % 3]),
  std: Array.from({ length: 192 }, (_, j) => reference.cnn.channelStd[j % 3]),
};
const tabular = (extra: object) => ({ name: 'tabular', model: 'mlp-standardised.onnx', members: 'tabular-members.csv', nonMembers: 'tabular-nonmembers.csv', label: 'label', attacks: ['loss-threshold'], ...extra });
const scaler = { mean: 'scaler-mean.npy', std: 'scaler-scale.npy' };

test('channels-last colour images and a channels-first ONNX CNN: transposed, normalised per channel, accurate as in PyTorch, no plausibility finding', { timeout: 120_000 }, async () => {
  const { report } = await audit('cnn-correct', [images('hwc', { preprocess: normalise })]);
  assert.equal(report.audits.length, 1, JSON.stringify(report.findings));
  assert.equal(report.audits[0].accuracy.members, reference.cnn.members);
  assert.equal(report.audits[0].accuracy.nonMembers, reference.cnn.nonMembers);
  assert.deepEqual(plausibility(report), []);
  assert.equal(exitCodeFor(report.findings, 'never'), 0);
  // Explicitly "nhwc" is the same audit, checked against the other layout and agreeing.
  const explicit = await audit('cnn-explicit', [images('flat', { preprocess: perFeature, layout: 'nhwc' })]);
  assert.equal(explicit.report.audits[0].accuracy.members, reference.cnn.members);
  assert.deepEqual(plausibility(explicit.report), []);
});

test('flat records that fit both layouts: the layout the model is accurate under is chosen and said', { timeout: 120_000 }, async () => {
  const { report, text } = await audit('cnn-detect', [images('flat', { preprocess: perFeature })]);
  assert.equal(report.audits[0].accuracy.members, reference.cnn.members);
  const found = plausibility(report);
  assert.deepEqual(found.map((f) => [f.rule, f.severity]), [['image-layout', 'info']]);
  assert.match(found[0].message, /read them as channels-last \(nhwc\) and transposed them to the model's channels-first \(nchw\)/);
  assert.ok((found[0].data!.accuracyNchw as number) < 0.6, `plain reshape accuracy ${found[0].data!.accuracyNchw}`);
  // No "layout" key: the finding sits on the members.
  assert.equal(rangeText(text, found[0]), '{\n        "path": "images-flat-members.npy",\n        "labelsPath": "image-members-labels.npy"\n      }');
  assert.equal(exitCodeFor(report.findings, 'never'), 0);
  // Per-channel mean/std on flat records: each candidate layout puts the channel where it says, then transposes.
  const perChannel = await audit('cnn-detect-per-channel', [images('flat', { preprocess: normalise })]);
  assert.equal(perChannel.report.audits[0].accuracy.members, reference.cnn.members);
  assert.equal(perChannel.report.audits[0].accuracy.nonMembers, reference.cnn.nonMembers);
  assert.deepEqual(plausibility(perChannel.report).map((f) => [f.rule, f.data!.layout]), [['image-layout', 'nhwc']]);
});

test('a wrong explicit layout (HWC records declared channels-first) stops the audit on "layout" with exit code 2', { timeout: 120_000 }, async () => {
  const { report, text } = await audit('cnn-wrong-layout', [images('flat', { preprocess: perFeature, layout: 'nchw' })]);
  assert.deepEqual(report.audits, [], 'no attack numbers');
  const stop = report.findings.find((f) => f.rule === 'image-layout')!;
  assert.equal(stop.severity, 'high');
  assert.equal(rangeText(text, stop), '"nchw"');
  assert.equal(exitCodeFor(report.findings, 'never'), 2);
});

test('the CNN audited without its 1/255 scaling and normalisation: a feature-scale finding on the members', { timeout: 120_000 }, async () => {
  const { report, text } = await audit('cnn-unscaled', [images('hwc', {})]);
  const scale = report.findings.find((f) => f.rule === 'feature-scale');
  assert.ok(scale, JSON.stringify(report.findings.map((f) => f.rule)));
  assert.match(scale.message, /whole numbers from 0 to 25\d/);
  assert.equal(rangeText(text, scale), '{\n        "path": "images-hwc-members.npy",\n        "labelsPath": "image-members-labels.npy"\n      }');
  // Written but without scaling ({"scale": 1} says the model scales itself): no feature-scale finding.
  const said = await audit('cnn-says-raw', [images('hwc', { preprocess: { scale: 1 } })]);
  assert.ok(!said.report.findings.some((f) => f.rule === 'feature-scale'));
});

test('the Fashion-MNIST example MLP (trained on 1/255 pixels) audited without "preprocess": a feature-scale finding on the members', { timeout: 180_000 }, async () => {
  const example = path.join(ROOT, 'examples', 'fashion-mnist');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-fmnist-'));
  fs.cpSync(path.join(example, 'model'), path.join(work, 'model'), { recursive: true });
  fs.cpSync(path.join(example, 'data'), path.join(work, 'data'), { recursive: true });
  const base = { name: 'fmnist', model: 'model/model.json', members: 'data/members.npz', nonMembers: 'data/nonmembers.npz', attacks: ['loss-threshold'] };
  const raw = await audit('unscaled', [base], work);
  const found = raw.report.findings.find((f) => f.rule === 'feature-scale');
  assert.ok(found, JSON.stringify(raw.report.findings.map((f) => f.rule)));
  assert.equal(rangeText(raw.text, found), '"data/members.npz"');
  const scaled = await audit('scaled', [{ ...base, preprocess: { scale: 0.00392156862745098 } }], work);
  assert.deepEqual(plausibility(scaled.report), []);
  assert.ok(scaled.report.audits[0].accuracy.members > 0.8, `members accuracy ${scaled.report.audits[0].accuracy.members}`);
});

test('raw tabular features to a model trained on standardised ones stop the audit (exit 2); the scaler\'s NPY mean/std fix it', { timeout: 120_000 }, async () => {
  const raw = await audit('tabular-raw', [tabular({})]);
  assert.deepEqual(raw.report.audits, [], 'no attack numbers');
  const rules = plausibility(raw.report).map((f) => f.rule);
  assert.ok(rules.includes('degenerate-model') || rules.includes('accuracy-at-chance'), JSON.stringify(rules));
  assert.equal(exitCodeFor(raw.report.findings, 'never'), 2);
  const atChance = raw.report.findings.find((f) => f.rule === 'accuracy-at-chance')!;
  assert.equal(atChance.data!.memberAccuracy, reference.mlp.rawMembers, 'the accuracy PyTorch gives on the raw records');
  assert.equal(rangeText(raw.text, atChance), '"tabular-members.csv"');

  const fixed = await audit('tabular-standardised', [tabular({ preprocess: scaler })]);
  assert.equal(fixed.report.audits.length, 1);
  assert.equal(fixed.report.audits[0].accuracy.members, reference.mlp.members);
  assert.equal(fixed.report.audits[0].accuracy.nonMembers, reference.mlp.nonMembers);
  assert.deepEqual(plausibility(fixed.report), []);
  assert.equal(exitCodeFor(fixed.report.findings, 'never'), 0);
});

test('a mean with the wrong number of values is an error on preprocess.mean', { timeout: 60_000 }, async () => {
  const { report, text } = await audit('tabular-short-mean', [tabular({ preprocess: { mean: [1, 2, 3, 4], std: 'scaler-scale.npy' } })]);
  const err = report.findings.find((f) => f.rule === 'invalid-input')!;
  assert.match(err.message, /preprocess\.mean has 4 values; records of shape \[5\] \(5 values\) take 1, 5 \(one per feature\)/);
  assert.equal(rangeText(text, err).replace(/\s+/g, ''), '[1,2,3,4]');
  assert.equal(exitCodeFor(report.findings, 'never'), 2);
});

test('members and non-members swapped stop the audit on nonMembers (exit 2), through the CLI too', { timeout: 180_000 }, async () => {
  const swapped = await audit('tabular-swapped', [tabular({ preprocess: scaler, members: 'tabular-nonmembers.csv', nonMembers: 'tabular-members.csv' })]);
  const stop = swapped.report.findings.find((f) => f.rule === 'swapped-membership')!;
  assert.ok(stop, JSON.stringify(swapped.report.findings.map((f) => f.rule)));
  assert.equal(stop.severity, 'high');
  assert.ok((stop.data!.auc as number) < 0.5);
  assert.equal(rangeText(swapped.text, stop), '"tabular-members.csv"');
  assert.deepEqual(swapped.report.audits, []);
  const cli = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'audit', swapped.manifest, '--fail-on', 'never'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(cli.status, 2, cli.stdout + cli.stderr);
  assert.match(cli.stdout + cli.stderr, /swapped-membership|wrong way round/);

  // The memorising TF.js MLP of the other audit tests, its files swapped.
  const ws = await overfitWorkspace();
  const good = JSON.parse(fs.readFileSync(ws.manifest, 'utf8')).audits[0];
  const correct = await audit('overfit', [{ ...good, attacks: ['loss-threshold'] }], ws.dir);
  assert.deepEqual(plausibility(correct.report), []);
  const reversed = await audit('overfit-swapped', [{ ...good, attacks: ['loss-threshold'], members: good.nonMembers, nonMembers: good.members }], ws.dir);
  assert.ok(reversed.report.findings.some((f) => f.rule === 'swapped-membership' && f.severity === 'high'), JSON.stringify(reversed.report.findings.map((f) => f.rule)));
  assert.equal(exitCodeFor(reversed.report.findings, 'never'), 2);
});

test('a model that answers one class for everything is degenerate and stops the audit on "model"', { timeout: 120_000 }, async () => {
  const ws = await overfitWorkspace();
  // Zero weights and a large bias on class 1: the same answer whatever the input.
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [8], units: 3, activation: 'softmax', kernelInitializer: 'zeros', biasInitializer: tfl.initializers.constant({ value: 0 }) })] });
  const layer = model.layers[0];
  const [kernel] = layer.getWeights();
  const tf = await import('@tensorflow/tfjs-core');
  layer.setWeights([kernel, tf.tensor1d([0, 6, 0])]);
  await model.save(layersModelFileWriter(path.join(ws.dir, 'degenerate')));
  model.dispose();
  const good = JSON.parse(fs.readFileSync(ws.manifest, 'utf8')).audits[0];
  const { report, text } = await audit('degenerate', [{ ...good, attacks: ['loss-threshold'], model: 'degenerate/model.json' }], ws.dir);
  const stop = report.findings.find((f) => f.rule === 'degenerate-model')!;
  assert.ok(stop, JSON.stringify(report.findings.map((f) => f.rule)));
  assert.match(stop.message, /predicts class 1 for 100\.0% of the 300/);
  assert.equal(rangeText(text, stop), '"degenerate/model.json"');
  assert.deepEqual(report.audits, []);
  assert.equal(exitCodeFor(report.findings, 'never'), 2);
});
