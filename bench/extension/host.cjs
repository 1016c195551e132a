// Helpers for the benchmark's mocha files, which run inside VS Code's extension host
// (loaded by test/harness/mocha-runner.cjs). CommonJS: the runner require()s the files.
'use strict';

const fs = require('node:fs');
const vscode = require('vscode');

const EXTENSION_ID = 'model-privacy-lint.model-privacy-lint';

/** Polls `probe` every `intervalMs` until it returns something other than undefined/false. */
async function waitFor(what, probe, timeoutMs = 60_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function extension() {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

/** The extension's API (what activate() returns); it must be active. */
function api() {
  const ext = extension();
  if (!ext.isActive) throw new Error(`${EXTENSION_ID} is not active`);
  return ext.exports;
}

/** Waits for the extension to activate by itself (workspaceContains) and its engine to run. */
async function activeWithEngine() {
  await waitFor('the extension to activate', () => extension().isActive, 60_000);
  const lifecycle = await api().engineSettled(120_000);
  if (lifecycle !== 'running') throw new Error(`the engine is ${lifecycle}, not running`);
  await api().detection();
}

function workspaceRoot() {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (!folder) throw new Error('the benchmark needs a workspace folder');
  return folder.uri;
}

function manifestUri() {
  return vscode.Uri.joinPath(workspaceRoot(), 'privacy-audit.json');
}

/** Diagnostics the extension's engine published for `uri`. */
function ourDiagnostics(uri) {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'model-privacy');
}

function codeOf(diagnostic) {
  const code = diagnostic.code;
  return typeof code === 'object' && code !== null ? String(code.value) : String(code);
}

/** Merges `values` into the JSON file the benchmark driver reads (BENCH_RESULT_FILE). */
function recordResult(values) {
  const file = process.env.BENCH_RESULT_FILE;
  if (!file) throw new Error('BENCH_RESULT_FILE is not set: run through node bench/extension.mjs');
  const previous = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const host = { vscodeVersion: vscode.version, hostNode: process.version };
  fs.writeFileSync(file, JSON.stringify({ ...previous, ...host, ...values }, null, 2));
}

const round = (ms) => Math.round(ms * 10) / 10;

module.exports = { EXTENSION_ID, activeWithEngine, api, codeOf, extension, manifestUri, ourDiagnostics, recordResult, round, waitFor };
