import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseManifest } from '../../src/engine/manifest';

const DIR = path.resolve('/ws');
const FILE = path.join(DIR, 'privacy-audit.json');
const existing = new Set(['model.onnx', 'train.csv', 'test.csv', 'scaler-mean.npy', 'scaler-scale.npy'].map((f) => path.join(DIR, f)));
const parse = (audit: object) => {
  const text = JSON.stringify({ version: 1, audits: [{ name: 'a', model: 'model.onnx', members: 'train.csv', nonMembers: 'test.csv', ...audit }] }, null, 2);
  return { text, ...parseManifest(text, FILE, { fileExists: (p) => existing.has(p) }) };
};
const at = (text: string, range: { offset: number; length: number }) => text.slice(range.offset, range.offset + range.length);

test('preprocess mean/std (numbers, lists, NPY files) and layout reach every dataset, files resolved against the manifest', () => {
  const { manifest, problems } = parse({ preprocess: { scale: 0.5, mean: 'scaler-mean.npy', std: [1, 2, 3] }, layout: 'nchw', population: 'train.csv' });
  assert.deepEqual(problems, []);
  for (const ds of [manifest!.audits[0].members, manifest!.audits[0].nonMembers, manifest!.audits[0].population!]) {
    assert.equal(ds.scale, 0.5);
    assert.equal(ds.mean, path.join(DIR, 'scaler-mean.npy'));
    assert.deepEqual(ds.std, [1, 2, 3]);
    assert.equal(ds.layout, 'nchw');
  }
  assert.equal(parse({ preprocess: { mean: 0.5, std: 0.25 } }).manifest!.audits[0].members.std, 0.25);
});

test('a missing mean file, a non-positive std, a wrong layout or an empty list are errors on their key', () => {
  const missing = parse({ preprocess: { mean: 'nope.npy' } });
  assert.equal(missing.problems.length, 1);
  assert.match(missing.problems[0].message, /expected an existing NPY file of means, found no file at "nope\.npy"/);
  assert.equal(at(missing.text, missing.problems[0].range), '"nope.npy"');
  const zero = parse({ preprocess: { std: [1, 0, 2] } });
  assert.match(zero.problems[0].message, /expected a positive standard deviation, found 0/);
  assert.equal(at(zero.text, zero.problems[0].range), '0');
  assert.ok(parse({ layout: 'hwc' }).problems.some((p) => p.severity === 'error' && p.path.includes('layout')));
  assert.ok(parse({ preprocess: { mean: [] } }).problems.some((p) => p.severity === 'error' && p.path.includes('mean')));
});
