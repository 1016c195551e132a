/**
 * The extension host bundle must never contain TensorFlow.js: it would load megabytes
 * of code and native bindings into every VS Code window. All TF work belongs to the
 * engine process (dist/server.js -> dist/audit-worker.js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

/** The options esbuild.mjs uses for dist/extension.js. */
const EXTENSION_BUILD: esbuild.BuildOptions = {
  entryPoints: ['src/extension/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  mainFields: ['module', 'main'],
  write: false,
  metafile: true,
  outfile: 'dist/extension.js',
  logLevel: 'silent',
};

/** Traces TF.js leaves in a bundle: package paths in esbuild's comments and its kernel registry. */
const TF_MARKERS = ['@tensorflow', 'tfjs-core', 'tfjs-backend', 'tfjs-layers', 'registerKernel('];

function tensorflowInputs(metafile: esbuild.Metafile): string[] {
  return Object.keys(metafile.inputs).filter((file) => file.includes('node_modules/@tensorflow/'));
}

function markersIn(code: string): string[] {
  return TF_MARKERS.filter((m) => code.includes(m));
}

test('the extension bundle pulls in no TensorFlow.js module', async () => {
  const result = await esbuild.build(EXTENSION_BUILD);
  assert.deepEqual(tensorflowInputs(result.metafile!), []);
  const code = result.outputFiles!.find((f) => f.path.endsWith('extension.js'))!.text;
  assert.deepEqual(markersIn(code), []);
  // The client half that is bundled: the language client, and no engine runtime beyond pure helpers.
  assert.ok(Object.keys(result.metafile!.inputs).some((f) => f.includes('node_modules/vscode-languageclient/')));
  const engineInputs = Object.keys(result.metafile!.inputs).filter((f) => f.startsWith('src/engine/'));
  for (const file of engineInputs) {
    assert.match(file, /^src\/engine\/(errors|artifacts\/datasets\/format|manifest\/(defaults|dataset-roles))\.ts$/, `unexpected engine module in the extension bundle: ${file}`);
  }
});

test('dist/extension.js, when built, contains no TensorFlow.js code', { skip: !existsSync('dist/extension.js') && 'dist/extension.js not built' }, () => {
  assert.deepEqual(markersIn(readFileSync('dist/extension.js', 'utf8')), []);
});

test('the language server bundle pulls in no TensorFlow.js either: audits run in the worker; the Keras scan reads configs with h5wasm alone', async () => {
  const result = await esbuild.build({ ...EXTENSION_BUILD, entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js', external: ['vscode', '@tensorflow/tfjs-node'] });
  assert.deepEqual(tensorflowInputs(result.metafile!), []);
  assert.ok(Object.keys(result.metafile!.inputs).some((f) => f.endsWith('src/engine/artifacts/models/keras-model-config.ts')), 'the scanner\'s Keras config reader is in it');
});

test('the markers do find TensorFlow.js in the engine worker bundle (the check can fail)', async () => {
  const result = await esbuild.build({ ...EXTENSION_BUILD, entryPoints: ['src/server/audit-worker.ts'], outfile: 'dist/audit-worker.js', external: ['vscode', '@tensorflow/tfjs-node', 'onnxruntime-node'] });
  assert.ok(tensorflowInputs(result.metafile!).length > 0);
  const code = result.outputFiles!.find((f) => f.path.endsWith('audit-worker.js'))!.text;
  assert.ok(markersIn(code).length > 0);
});
