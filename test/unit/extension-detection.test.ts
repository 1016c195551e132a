/** Client-side detection: names, model.json contents, exclude globs, manifest outlines, sweep targets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { classify, DETECTION_GLOB, isAuditableFormat, isUnsafeFormat } from '../../src/extension/detection/classify';
import { coveredModelKeys, sweepTargets, type DetectedManifest, type DetectionSnapshot } from '../../src/extension/detection/detected';
import { combinedExclude, findFilesExclude, GlobSet, globToRegExp } from '../../src/extension/detection/glob';
import { outlineManifest } from '../../src/extension/detection/manifest-outline';
import { tfjsModelKind } from '../../src/extension/detection/model-json';
import { pathKey } from '../../src/extension/paths';
import { unsupportedReason } from '../../src/extension/commands/unsupported-target';

test('file names are classified as manifest, model (by format) or dataset (with its role)', () => {
  assert.deepEqual(classify('/w/privacy-audit.json'), { kind: 'manifest' });
  assert.deepEqual(classify('/w/model/model.json'), { kind: 'model', format: 'tfjs' });
  assert.deepEqual(classify('/w/net.H5'), { kind: 'model', format: 'keras' });
  assert.deepEqual(classify('/w/net.keras'), { kind: 'model', format: 'keras' });
  assert.deepEqual(classify('/w/net.onnx'), { kind: 'model', format: 'onnx' });
  assert.deepEqual(classify('/w/weights.pt'), { kind: 'model', format: 'pytorch' });
  assert.deepEqual(classify('/w/clf.pkl'), { kind: 'model', format: 'pickle' });
  assert.deepEqual(classify('/w/clf.joblib'), { kind: 'model', format: 'pickle' });
  assert.deepEqual(classify('/w/data/train.csv'), { kind: 'dataset', format: 'csv', role: 'members' });
  assert.deepEqual(classify('/w/data/holdout.jsonl'), { kind: 'dataset', format: 'jsonl', role: 'nonMembers' });
  assert.deepEqual(classify('/w/data/nonmembers.npz'), { kind: 'dataset', format: 'npz', role: 'nonMembers' });
  assert.deepEqual(classify('/w/mnist/train-images-idx3-ubyte.gz'), { kind: 'dataset', format: 'idx', role: 'members' });
  assert.deepEqual(classify('/w/mnist/t10k-labels-idx1-ubyte'), { kind: 'dataset', format: 'idx', role: 'nonMembers' });
  assert.deepEqual(classify('/w/features.npy'), { kind: 'dataset', format: 'npy' });
  assert.equal(classify('/w/package.json'), undefined);
  assert.equal(classify('/w/notes.txt'), undefined);
  assert.equal(classify('/w/model.json.bak'), undefined);
});

test('TF.js, Keras and ONNX models are auditable; pickle-based files and safetensors are listed, never loaded', () => {
  const auditable = (['tfjs', 'keras', 'onnx', 'pytorch', 'pickle', 'safetensors'] as const).filter((f) => isAuditableFormat(f));
  assert.deepEqual(auditable, ['tfjs', 'keras', 'onnx']);
  assert.ok(!isAuditableFormat('pickle') && isUnsafeFormat('pickle'), 'an unsafe format is never auditable');
});

test('the detection glob names every pattern classify() accepts', () => {
  for (const part of ['privacy-audit.json', 'model.json', '*.h5', '*.keras', '*.onnx', '*.pt', '*.pkl', '*.csv', '*.csv.gz', '*.npz', '*-ubyte', '*-ubyte.gz']) {
    assert.ok(DETECTION_GLOB.includes(`,${part},`) || DETECTION_GLOB.includes(`{${part},`) || DETECTION_GLOB.includes(`,${part}}`), part);
  }
  const re = globToRegExp(DETECTION_GLOB);
  assert.ok(re.test('a/b/model.json'));
  assert.ok(re.test('data/train-images-idx3-ubyte.gz'));
  assert.ok(!re.test('package.json'));
});

test('a model.json is a TF.js model only with modelTopology and weightsManifest', () => {
  const example = readFileSync('examples/fashion-mnist/model/model.json', 'utf8');
  assert.equal(tfjsModelKind(example), 'layers');
  assert.equal(tfjsModelKind(JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [] })), 'graph');
  assert.equal(tfjsModelKind(JSON.stringify({ modelTopology: {} })), undefined);
  assert.equal(tfjsModelKind('{"name": "my-web-app"}'), undefined);
  assert.equal(tfjsModelKind('[1, 2]'), undefined);
  assert.equal(tfjsModelKind('{ not json'), undefined);
});

test('globs: ** spans folders, * stays in one name, braces alternate (nested), classes', () => {
  const set = new GlobSet(['**/node_modules/**', 'build/*.csv', '**/{tmp,cache/{a,b}}/**', 'data/run[0-9].npy']);
  assert.ok(set.matches('node_modules/x/model.json'));
  assert.ok(set.matches('a/b/node_modules/model.json'));
  assert.ok(set.matches('build/train.csv'));
  assert.ok(!set.matches('build/sub/train.csv'));
  assert.ok(set.matches('x/tmp/y.csv'));
  assert.ok(set.matches('cache/b/y.csv'));
  assert.ok(!set.matches('cache/c/y.csv'));
  assert.ok(set.matches('data/run7.npy'));
  assert.ok(!set.matches('data/runx.npy'));
  assert.ok(!set.matches('models/model.json'));
  assert.ok(globToRegExp('a.b+c').test('a.b+c'));
  assert.ok(!globToRegExp('a.b').test('axb'));
});

test('exclude: our globs plus files.exclude entries that are on; findFiles gets the brace-free ones', () => {
  const all = combinedExclude(['**/node_modules/**', '**/{a,b}/**'], { '**/.git': true, '**/.DS_Store': false, '**/x': { when: '$(basename).ts' } });
  assert.deepEqual(all, ['**/node_modules/**', '**/{a,b}/**', '**/.git']);
  assert.equal(findFilesExclude(all), '{**/node_modules/**,**/.git}');
  assert.equal(findFilesExclude(['**/one/**']), '**/one/**');
  assert.equal(findFilesExclude(['**/{a,b}/**']), undefined);
});

test('manifest outline: each audit\'s name key offset and model, tolerant of broken text', () => {
  const text = readFileSync('examples/fashion-mnist/privacy-audit.json', 'utf8');
  const outline = outlineManifest(text);
  assert.equal(outline.incomplete, false);
  assert.equal(outline.audits.length, 1);
  const [audit] = outline.audits;
  assert.equal(audit!.name, 'fashion-mnist-mlp');
  assert.equal(audit!.model, 'model/model.json');
  assert.equal(text.slice(audit!.nameOffset, audit!.nameOffset + audit!.nameLength), '"name"');

  const typing = '{ "audits": [ { "name": "a", "model": "m/model.json" }, { "name": "b", "mod';
  assert.deepEqual(outlineManifest(typing).audits.map((a) => a.name), ['a', 'b']);
  assert.equal(outlineManifest('').incomplete, true);
  assert.equal(outlineManifest('{ "version": 1 }').incomplete, true);
  assert.deepEqual(outlineManifest('{ "audits": [ { "model": "x" }, 3, { "name": 5 } ] }'), { audits: [], incomplete: false });
});

test('coverage and sweep targets: manifests first, then models no manifest audits', () => {
  const root = path.resolve('/ws');
  const manifest: DetectedManifest = {
    path: path.join(root, 'privacy-audit.json'),
    uri: 'file:///ws/privacy-audit.json',
    outline: { incomplete: false, audits: [{ name: 'a', model: 'model/model.json', nameOffset: 0, nameLength: 6 }] },
  };
  const model = (rel: string, auditable = true) => ({ path: path.join(root, rel), uri: `file:///ws/${rel}`, format: auditable ? 'tfjs' as const : 'keras' as const, auditable, unsafe: false });
  const snapshot: DetectionSnapshot = {
    manifests: [manifest],
    models: [model('model/model.json'), model('other/model.json'), model('net.h5', false)],
    datasets: [],
    done: true,
  };
  assert.deepEqual([...coveredModelKeys([manifest])], [pathKey(path.join(root, 'model/model.json'))]);
  assert.deepEqual(sweepTargets(snapshot), [manifest.path, path.join(root, 'other/model.json')]);
});

test('an audit target the engine cannot load is refused with the reason; TF.js, Keras and ONNX pass', () => {
  for (const ok of ['/w/model/model.json', '/w/net.h5', '/w/net.keras', '/w/net.onnx', '/w/privacy-audit.json']) assert.equal(unsupportedReason(ok), undefined, ok);
  assert.match(unsupportedReason('/w/clf.pkl')!, /^clf\.pkl is a pickle file: it can run code when loaded, so it is never loaded\. Export the model to TensorFlow\.js, Keras or ONNX/);
  assert.match(unsupportedReason('/w/weights.pt')!, /^weights\.pt is a PyTorch \(pickle-based\) file/);
  assert.match(unsupportedReason('/w/model.safetensors')!, /^model\.safetensors holds safetensors weights without the model's architecture/);
  assert.match(unsupportedReason('/w/data/train.csv')!, /^train\.csv is a dataset/);
});
