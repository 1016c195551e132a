import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserFacingError } from '../../src/server/request-guard';
import { resolveTarget } from '../../src/server/target-resolution';

const MODEL_JSON = '{"format":"layers-model","modelTopology":{},"weightsManifest":[]}';
const CSV = 'f0,f1,label\n1,2,0\n3,4,1\n';

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-target-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const manifest = (audits: object[]) => JSON.stringify({ version: 1, audits });
const audit = (name: string, model: string) => ({ name, model, members: 'train.csv', nonMembers: 'test.csv', label: 'label' });
const policy = { maxTprAtFpr: 0.05, fpr: 0.01, maxAuc: 0.7 };

test('a folder with a manifest resolves to it; requested names are checked', () => {
  const dir = folder({ 'privacy-audit.json': manifest([audit('a', 'm/model.json'), audit('b', 'm/model.json')]), 'm/model.json': MODEL_JSON, 'train.csv': CSV, 'test.csv': CSV });
  const r = resolveTarget(dir, ['b', 'zzz'], { workspaceFolders: [dir] });
  assert.equal(r.reportKey, path.join(dir, 'privacy-audit.json'));
  assert.equal(r.proposed, false);
  assert.deepEqual(r.selected, ['b']);
  assert.deepEqual(r.unknown, ['zzz']);
});

test('a model resolves to the nearest manifest that audits it, selecting only its audits', () => {
  const dir = folder({
    'privacy-audit.json': manifest([audit('one', 'm1/model.json'), audit('two', 'm2/model.json')]),
    'm1/model.json': MODEL_JSON, 'm2/model.json': MODEL_JSON, 'train.csv': CSV, 'test.csv': CSV,
  });
  const r = resolveTarget(path.join(dir, 'm2', 'model.json'), undefined, { workspaceFolders: [dir] });
  assert.equal(r.reportKey, path.join(dir, 'privacy-audit.json'));
  assert.deepEqual(r.selected, ['two']);
});

test('a folder without a manifest gets a proposal, written with the user\'s default policy', () => {
  const dir = folder({ 'model/model.json': MODEL_JSON, 'train.csv': CSV, 'test.csv': CSV });
  const r = resolveTarget(dir, undefined, { workspaceFolders: [dir], defaultPolicy: policy });
  assert.equal(r.proposed, true);
  assert.equal(r.reportKey, dir);
  assert.equal(r.selected.length, 1);
  assert.ok(r.manifest, JSON.stringify(r.problems));
  assert.deepEqual(r.manifest.audits[0]!.policy, [
    { metric: 'tprAtFpr', fpr: 0.01, max: 0.05, severity: 'high' },
    { metric: 'auc', max: 0.7, severity: 'medium' },
  ]);
  // A model target without a manifest is proposed from its workspace folder (data sits beside the model's folder).
  const byModel = resolveTarget(path.join(dir, 'model', 'model.json'), undefined, { workspaceFolders: [dir] });
  assert.equal(byModel.reportKey, dir);
  assert.deepEqual(byModel.selected, r.selected);
});

test('a broken manifest resolves without a manifest, with its problems', () => {
  const dir = folder({ 'privacy-audit.json': '{"version": 2, "audits": []}' });
  const r = resolveTarget(path.join(dir, 'privacy-audit.json'), undefined, { workspaceFolders: [dir] });
  assert.equal(r.manifest, undefined);
  assert.ok(r.problems.some((p) => p.severity === 'error'));
  assert.deepEqual(r.selected, []);
});

test('nothing to audit, or no such path, is a user-facing error', () => {
  const empty = folder({ 'notes.txt': 'hi' });
  assert.throws(() => resolveTarget(empty, undefined, { workspaceFolders: [empty] }), (e: unknown) => e instanceof UserFacingError && /no privacy-audit\.json here/.test(e.message));
  assert.throws(() => resolveTarget(path.join(empty, 'missing'), undefined, { workspaceFolders: [empty] }), (e: unknown) => e instanceof UserFacingError && /no such file or folder/.test(e.message));
  const lonely = folder({ 'model/model.json': MODEL_JSON });
  assert.throws(() => resolveTarget(path.join(lonely, 'model', 'model.json'), undefined, { workspaceFolders: [lonely] }), UserFacingError);
});

test('a Keras or ONNX file is a model target too: proposed from its folder, or the manifest that audits it', () => {
  const models = path.resolve(__dirname, '../fixtures/models');
  const dir = folder({ 'train.csv': CSV, 'test.csv': CSV });
  fs.copyFileSync(path.join(models, 'torch-mlp.onnx'), path.join(dir, 'net.onnx'));
  fs.copyFileSync(path.join(models, 'keras2-mlp.h5'), path.join(dir, 'net.h5'));
  for (const file of ['net.onnx', 'net.h5']) {
    const r = resolveTarget(path.join(dir, file), undefined, { workspaceFolders: [dir] });
    assert.equal(r.proposed, true, `${file}: proposed, not parsed as a manifest`);
    assert.ok(r.manifest, `${file}: ${JSON.stringify(r.problems)}`);
    assert.deepEqual(r.selected.map((n) => r.manifest!.audits.find((a) => a.name === n)!.model), [path.join(dir, file)], `${file}: only its own audit`);
  }
  fs.writeFileSync(path.join(dir, 'privacy-audit.json'), manifest([audit('onnx', 'net.onnx'), audit('keras', 'net.h5')]));
  const r = resolveTarget(path.join(dir, 'net.onnx'), undefined, { workspaceFolders: [dir] });
  assert.equal(r.proposed, false, 'the manifest that audits it');
  assert.deepEqual(r.selected, ['onnx']);
});
