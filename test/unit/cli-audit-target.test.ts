/**
 * `privacy-lint audit FILE`: a model file the engine loads is audited through the manifest
 * that names it; anything else that is not a manifest is refused with one message (a .pt
 * file used to be parsed as JSON and fail with a syntax error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, copyDir, tmpDir } from './cli-helpers';
import { resolveAuditTarget } from '../../src/cli/audit-target';
import { overfitWorkspace } from '../helpers/overfit-workspace';

function file(dir: string, name: string, content: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
}

test('pickle-based, weights-only, dataset and binary files are refused with one clear message, exit 2', () => {
  const dir = tmpDir();
  const cases: [string, string | Buffer, RegExp][] = [
    // A PyTorch .pt is a zip around a pickle: never opened, and not "invalid JSON".
    ['model.pt', Buffer.from('PK\x03\x04\x00\x00pickle', 'latin1'), /model\.pt: this is a PyTorch \(pickle-based\) file: it can run code when loaded, so it is never loaded\. Export the model to TensorFlow\.js, Keras \(\.h5\/\.keras\) or ONNX/],
    ['clf.pkl', Buffer.from([0x80, 0x04, 0x95]), /clf\.pkl: this is a pickle: it can run code when loaded/],
    ['w.safetensors', '{"__metadata__": {}}', /w\.safetensors: this is a safetensors file: weights without the model's architecture/],
    ['fake.onnx', 'not protobuf', /fake\.onnx: the name says ONNX model, but the file's first bytes are not one/],
    ['train.csv', 'a,label\n1,0\n', /train\.csv: this is a dataset; audit the folder that holds the model and its data/],
    ['blob.bin', Buffer.from([1, 2, 0, 3]), /blob\.bin: not an audit manifest: a binary file/],
    ['notes.txt', 'hello', /notes\.txt: not an audit manifest: expected a JSON object starting with "\{", found "hello"/],
  ];
  for (const [name, content, message] of cases) {
    const r = cli(['audit', file(dir, name, content)]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message, name);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line, no stack: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Unexpected token|SyntaxError|internal error/, name);
  }
});

test('a manifest under another name is still read as one, with the manifest\'s own errors', () => {
  const dir = tmpDir();
  const manifest = file(dir, 'my-audit.json', '\n  {"version": 1, "audits": [{"name": "a", "modle": "m.json"}]}');
  const r = cli(['audit', manifest, '--format', 'text']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /modle/, 'the manifest was parsed and its own error reported');
  // A comment before the object is left to the manifest parser, whose message says what is wrong.
  const commented = cli(['audit', file(dir, 'c.json', '// audits\n{"version": 1, "audits": []}'), '--format', 'text']);
  assert.equal(commented.code, 2);
  assert.match(commented.stdout, /JSON syntax error: expected no comments/);
});

test('a model file resolves to the audits of the nearest manifest that names it', async () => {
  const ws = await overfitWorkspace();
  const target = resolveAuditTarget(path.join(ws.dir, 'model', 'model.json'));
  assert.equal(target.resolved.file, ws.manifest);
  assert.deepEqual(target.audits, ['overfit-mlp']);
  assert.equal(target.resolved.proposed, false);
});

test('a model file without a manifest resolves to a proposal for its folder tree', async () => {
  const ws = copyDir((await overfitWorkspace()).dir);
  fs.rmSync(path.join(ws, 'privacy-audit.json'));
  // Model in ws/model/, data in ws: the proposal is made one level above the model's folder.
  const target = resolveAuditTarget(path.join(ws, 'model', 'model.json'));
  assert.equal(target.resolved.proposed, true);
  assert.equal(target.resolved.root, ws);
  assert.equal(target.audits?.length, 1);
  const audit = target.resolved.manifest!.audits[0]!;
  assert.equal(audit.members.path, path.join(ws, 'train.csv'));
  assert.equal(audit.nonMembers.path, path.join(ws, 'test.csv'));
});

test('a model file with no data beside it is refused with a pointer to init', async () => {
  const dir = tmpDir();
  fs.cpSync(path.join((await overfitWorkspace()).dir, 'model'), path.join(dir, 'a', 'model'), { recursive: true });
  const r = cli(['audit', path.join(dir, 'a', 'model', 'model.json')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /model\.json: no privacy-audit\.json above this model audits it, and no member and non-member data was detected beside it; write a manifest for it \(see "privacy-lint init"\)/);
});

test('privacy-lint audit MODEL runs the manifest\'s audit of that model', { timeout: 240_000 }, async () => {
  const ws = await overfitWorkspace();
  const r = cli(['audit', path.join(ws.dir, 'model', 'model.json'), '--attacks', 'loss-threshold', '--format', 'json', '--fail-on', 'never']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.manifest, 'privacy-audit.json');
  assert.deepEqual(report.audits.map((a: { name: string }) => a.name), ['overfit-mlp']);
  const wrong = cli(['audit', path.join(ws.dir, 'model', 'model.json'), '--only', 'overfit-mpl']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /unknown audit "overfit-mpl" \(did you mean "overfit-mlp"\?\) in --only; the audits of this model are "overfit-mlp"/);
});
