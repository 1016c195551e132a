/** `privacy-lint inspect` through the CLI, as a user runs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectArtifact, inspectExitCode } from '../../src/engine/inspect';

const ROOT = path.resolve(__dirname, '../..');
const SCAN = path.join(ROOT, 'test/fixtures/scan');
const GENOPS = JSON.parse(fs.readFileSync(path.join(SCAN, 'genops.json'), 'utf8')) as Record<string, unknown>;

function inspect(target: string, format: 'json' | 'text' = 'json') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'inspect', target, '--format', format], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

test('a malicious pickle: exit 1, the callable and its byte offset in JSON and text', async () => {
  // The JSON form is the InspectResult; checked in-process to keep process starts few.
  const out = await inspectArtifact(path.join(SCAN, 'os-system-global.pkl'));
  assert.equal(out.pickleBased, true, 'pickle-based');
  assert.equal(out.loaded, false, 'never loaded');
  const error = out.findings.find((f) => f.severity === 'high');
  assert.deepEqual(error?.data, { offset: 0, callable: 'os.system' }, 'machine-readable callable and offset');
  assert.equal(inspectExitCode(out), 1, 'exit code 1');
  const text = inspect(path.join(SCAN, 'os-system-global.pkl'), 'text');
  assert.equal(text.code, 1, `the process exits 1: ${text.stderr}`);
  assert.match(text.stdout, /format\s+pickle \(pickle-based: scanned statically, never loaded\)/);
  assert.match(text.stdout, /error\s+MPL009 unsafe-artifact: imports os\.system at byte 0/);
});

test('a pickle under a model name is still never loaded', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-inspect-'));
  const disguised = path.join(dir, 'model.h5');
  fs.copyFileSync(path.join(SCAN, 'os-system-stack-global.pkl'), disguised);
  const out = await inspectArtifact(disguised);
  assert.equal(inspectExitCode(out), 1, 'unsafe');
  assert.equal(out.loaded, false, 'not handed to the Keras loader');
  assert.equal(out.format, 'pickle', 'recognised by its bytes');
});

test('benign checkpoint exits 0; safetensors reports tensors and parameters; broken inputs exit 2', async () => {
  const pt = await inspectArtifact(path.join(SCAN, 'state-dict.pt'));
  assert.equal(pt.format, 'pytorch-zip', 'format');
  assert.equal(pt.loaded, false, 'a checkpoint is never loaded');
  assert.equal(inspectExitCode(pt), 0, 'benign: exit 0');

  const st = await inspectArtifact(path.join(SCAN, 'valid.safetensors'));
  assert.equal(inspectExitCode(st), 0, 'valid safetensors: exit 0');
  assert.equal(st.parameterCount, GENOPS['valid.safetensors#parameters'], 'parameter count the generator computed');
  assert.equal(st.tensors?.length, 4, 'four tensors');

  const truncated = inspect(path.join(SCAN, 'truncated.pkl'));
  assert.equal(truncated.code, 2, 'unreadable input exits 2');
  assert.ok(truncated.json().findings.some((f: { rule: string; severity: string }) => f.rule === 'invalid-input' && f.severity === 'high'), 'says why');
  const badOffsets = await inspectArtifact(path.join(SCAN, 'bad-offsets.safetensors'));
  assert.equal(inspectExitCode(badOffsets), 2, 'a broken safetensors header is unreadable input');
  const missing = inspect('/nonexistent/model.pt');
  assert.equal(missing.code, 2, 'missing file exits 2');
  assert.match(missing.stderr, /\/nonexistent\/model\.pt: cannot read the file: no such file/);
});

test('a Lambda layer is a warning (exit 0 by itself); a Keras model reports shape, classes and parameters', async () => {
  const out = await inspectArtifact(path.join(SCAN, 'lambda.keras'));
  assert.deepEqual(out.lambdaLayers, ['scale_by_two'], 'names the layer');
  assert.ok(out.findings.some((f) => f.rule === 'serialized-code' && f.severity === 'medium'), 'serialized-code warning');
  assert.ok(!out.findings.some((f) => f.severity === 'high' && f.rule !== 'invalid-input'), 'a Lambda alone is not an error-level safety finding');

  const model = path.join(ROOT, 'examples/fashion-mnist/model/model.json');
  const json = JSON.parse(fs.readFileSync(model, 'utf8'));
  // Independent of the loader: sum of the weight shapes in the manifest, input from the topology.
  const expectedParams = json.weightsManifest.flatMap((g: { weights: { shape: number[] }[] }) => g.weights)
    .reduce((sum: number, w: { shape: number[] }) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
  const layers = json.modelTopology.model_config?.config?.layers ?? json.modelTopology.config.layers;
  const firstConfig = layers[0].config;
  const batchShape: (number | null)[] = firstConfig.batch_input_shape ?? firstConfig.batch_shape;
  const lastUnits = layers[layers.length - 1].config.units;
  const r = inspect(path.dirname(model), 'text');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`parameters\\s+${expectedParams.toLocaleString('en-US')}`), `parameters ${expectedParams}`);
  assert.match(r.stdout, new RegExp(`input shape\\s+\\[${batchShape.slice(1).join(', ')}\\]`), 'input shape');
  assert.match(r.stdout, new RegExp(`classes\\s+${lastUnits}\\b`), 'classes');
});

test('a dataset reports records, feature shape and per-class counts', async () => {
  const csv = path.join(ROOT, 'test/fixtures/datasets/text/iris.csv');
  const rows = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const names = [...new Set(rows.map((r) => r[r.length - 1]))].sort();
  const r = inspect(csv);
  assert.equal(r.code, 0, r.stderr);
  const out = r.json();
  assert.equal(out.kind, 'dataset', 'kind');
  assert.equal(out.records, rows.length, 'records');
  assert.deepEqual(out.featureShape, [rows[0].length - 1], 'feature shape');
  assert.deepEqual(out.classCounts, names.map((n) => rows.filter((row) => row[row.length - 1] === n).length), 'per class, classes in sorted order');

  // Features only (labels live in another file): the array's shape is still reported.
  const npy = path.join(ROOT, 'test/fixtures/datasets/binary/features.npy');
  const header = fs.readFileSync(npy).subarray(10, 10 + fs.readFileSync(npy).readUInt16LE(8)).toString('latin1');
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)![1].split(',').map((d) => d.trim()).filter(Boolean).map(Number);
  const features = await inspectArtifact(npy);
  assert.equal(features.records, shape[0], 'records = first dimension of the NPY header');
  assert.deepEqual(features.featureShape, shape.slice(1), 'feature shape = the rest');
  assert.equal(inspectExitCode(features), 0, 'not an input problem');
});
