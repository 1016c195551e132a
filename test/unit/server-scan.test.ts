/** The server's artifact scans: diagnostics on scanned files, replacement, caching, and never a loader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { scanArtifact, type ScanResult } from '../../src/engine/scan';
import { ArtifactScanService, type ScanFn } from '../../src/server/artifact-scan-service';
import { DiagnosticPublisher } from '../../src/server/diagnostic-publisher';
import { pathToUri } from '../../src/server/uris';

const SCAN = path.resolve(__dirname, '../fixtures/scan');
const quiet = { info: () => undefined, warn: () => undefined, error: (m: string) => assert.fail(`unexpected error log: ${m}`) };

function workspace(files: Record<string, string>): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-server-scan-'));
  const out: Record<string, string> = {};
  for (const [name, fixture] of Object.entries(files)) {
    out[name] = path.join(dir, name);
    fs.copyFileSync(path.join(SCAN, fixture), out[name]);
  }
  return out;
}

function setup(scan: ScanFn = scanArtifact) {
  const shown = new Map<string, Diagnostic[]>();
  const publisher = new DiagnosticPublisher((uri, diagnostics) => shown.set(uri, diagnostics));
  const service = new ArtifactScanService(publisher, quiet, 'file:///ext/', scan);
  return { shown, service };
}

test('unsafe files get error diagnostics naming the callable and offset; benign ones only a hint', async () => {
  const ws = workspace({ 'evil.pkl': 'os-system-global.pkl', 'model.pt': 'state-dict.pt', 'weights.safetensors': 'bad-offsets.safetensors', 'net.keras': 'lambda.keras' });
  const { shown, service } = setup();
  const result = await service.scanFiles(Object.values(ws));
  assert.equal(result.summaries.length, 4, 'four files scanned');

  const evil = shown.get(pathToUri(ws['evil.pkl']))!;
  assert.equal(evil.length, 1, 'one diagnostic on the malicious pickle');
  assert.equal(evil[0].severity, DiagnosticSeverity.Error, 'an error');
  assert.equal(evil[0].code, 'unsafe-artifact', 'rule as code');
  assert.match(evil[0].message, /imports os\.system at byte 0/);
  assert.deepEqual(evil[0].range, { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, 'whole-file (first line) range');
  assert.equal(evil[0].codeDescription?.href, 'file:///ext/docs/rules.md#unsafe-artifact', 'links the rule documentation');

  const pt = shown.get(pathToUri(ws['model.pt']))!;
  assert.deepEqual(pt.map((d) => d.severity), [DiagnosticSeverity.Hint], 'a benign checkpoint: one hint that it is pickle-based');
  assert.equal(shown.get(pathToUri(ws['weights.safetensors']))?.[0].severity, DiagnosticSeverity.Error, 'bad safetensors offsets are an error');
  assert.equal(shown.get(pathToUri(ws['net.keras']))?.[0].code, 'serialized-code', 'Lambda layer warning');
  assert.equal(shown.get(pathToUri(ws['net.keras']))?.[0].severity, DiagnosticSeverity.Warning, 'as a warning');
  assert.deepEqual(result.summaries.find((s) => s.file === ws['evil.pkl']), { file: ws['evil.pkl'], format: 'pickle', pickleBased: true, errors: 1, warnings: 0 }, 'summary');
});

test('a new list replaces the old: files no longer listed are cleared; unchanged files are not rescanned', async () => {
  const ws = workspace({ 'a.pkl': 'os-system-global.pkl', 'b.pkl': 'subprocess-popen.pkl' });
  const calls: string[] = [];
  const { shown, service } = setup(async (file, options) => {
    calls.push(path.basename(file));
    return scanArtifact(file, options);
  });
  await service.scanFiles([ws['a.pkl'], ws['b.pkl']]);
  await service.scanFiles([ws['a.pkl'], ws['b.pkl']]);
  assert.deepEqual(calls, ['a.pkl', 'b.pkl'], 'the second request reuses both results');

  await service.scanFiles([ws['b.pkl']]);
  assert.deepEqual(shown.get(pathToUri(ws['a.pkl'])), [], 'a.pkl cleared');
  assert.equal(shown.get(pathToUri(ws['b.pkl']))?.length, 1, 'b.pkl kept');

  // Rewritten in place with a benign pickle: size and mtime change, so it is rescanned.
  fs.copyFileSync(path.join(SCAN, 'plain-dict.pkl'), ws['b.pkl']);
  fs.utimesSync(ws['b.pkl'], new Date(), new Date(Date.now() + 5000));
  await service.scanFiles([ws['b.pkl']]);
  assert.equal(calls.filter((c) => c === 'b.pkl').length, 2, 'b.pkl rescanned after it changed');
  assert.deepEqual(shown.get(pathToUri(ws['b.pkl']))?.map((d) => d.severity), [DiagnosticSeverity.Hint], 'now only the pickle-based hint');
});

test('missing files are reported unreadable, requests run one at a time', async () => {
  const ws = workspace({ 'a.pkl': 'os-system-global.pkl' });
  let running = 0;
  let overlap = false;
  const { service } = setup(async (file, options) => {
    running++;
    if (running > 1) overlap = true;
    await new Promise((r) => setTimeout(r, 10));
    running--;
    return scanArtifact(file, options) as Promise<ScanResult>;
  });
  const [first, second] = await Promise.all([service.scanFiles([ws['a.pkl'], '/nonexistent/x.pkl']), service.scanFiles(['/nonexistent/y.pkl'])]);
  assert.equal(overlap, false, 'no two scans at once');
  assert.match(first.unreadable[0]?.message ?? '', /\/nonexistent\/x\.pkl: cannot read the file: no such file/);
  assert.equal(second.unreadable.length, 1, 'second request answered');
});

test('scanning loads no model loader and no TensorFlow', () => {
  // The scanner and the server's scan service are imported above; a loader would show in the module cache.
  const loaded = Object.keys(require.cache);
  assert.ok(loaded.some((m) => /[\\/]engine[\\/]scan[\\/]index\.ts$/.test(m)), 'the module cache lists what was imported (so the check below means something)');
  const offenders = loaded.filter((m) => /@tensorflow|onnxruntime|[\\/]artifacts[\\/]models[\\/](index|keras-model|onnx-model|tfjs-)[^\\/]*$/.test(m) && !/keras-model-config\.ts$/.test(m));
  assert.deepEqual(offenders, [], 'no loader or TensorFlow module was loaded (the Keras config reader is TensorFlow-free)');
  assert.ok(loaded.some((m) => /keras-model-config\.ts$/.test(m)), 'the scanner reads Keras configs with the loaders\' TensorFlow-free reader');
});
