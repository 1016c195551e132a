// Shared by both ways of running the integration suite: in code-server (run.mjs, what
// this machine can do) and in a downloaded VS Code (run-electron.mjs, the ecosystem's
// standard runner, for machines with network access).
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { PROJECT_ROOT } from '../harness/paths.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Each test file becomes one CommonJS bundle; `vscode` stays external (the host provides it). */
export async function bundleTests(outDir, pick) {
  rmSync(outDir, { recursive: true, force: true });
  const entryPoints = readdirSync(here).filter((f) => f.endsWith('.test.ts') && pick(f)).map((f) => path.join(here, f));
  if (entryPoints.length === 0) throw new Error(`no matching *.test.ts in ${here}`);
  await esbuild.build({
    entryPoints,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    mainFields: ['module', 'main'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return path.join(outDir, '*.test.js');
}

/**
 * The example's manifest with fast, inference-time defenses only (they wrap the model's
 * outputs; nothing is retrained), for defenses.test.ts, which copies it over
 * privacy-audit.json for its run. Its name is not one detection looks for, so the other
 * tests see the example unchanged. The policy (TPR <= 1% at 1% FPR) is broken by the
 * undefended loss attack (1.45%) and met by labels-only outputs (two-valued scores).
 */
export const DEFENSES_FIXTURE = 'defenses-fixture.json';

function writeDefensesFixture(workspace) {
  const manifest = JSON.parse(readFileSync(path.join(workspace, 'privacy-audit.json'), 'utf8'));
  delete manifest.$schema;
  const [audit] = manifest.audits;
  audit.attacks = ['loss-threshold', 'confidence-threshold'];
  audit.policy = { rules: [{ metric: 'tprAtFpr', fpr: 0.01, max: 0.01, severity: 'high' }] };
  // top-k with k = 1 renormalised would equal labels-only; k = 3 keeps the two apart.
  audit.defenses = { evaluate: [{ name: 'top-k', k: 3 }, { name: 'labels-only' }] };
  manifest.audits = [audit];
  writeFileSync(path.join(workspace, DEFENSES_FIXTURE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** A malicious pickle (os.system through STACK_GLOBAL) under a name detection ignores. */
export const SCAN_FIXTURE = 'scan-fixture.pickle-bytes';

/**
 * For model-formats.test.ts: the ONNX and Keras fixture models, their member and
 * non-member CSVs and the numpy-computed expected values (test/fixtures/models), under
 * names detection ignores; the test copies them to real names, audits, and removes them.
 */
export const MODEL_FORMATS_FIXTURE = 'model-formats-fixture';

function writeModelFormatsFixture(workspace) {
  const models = path.join(PROJECT_ROOT, 'test/fixtures/models');
  const dir = path.join(workspace, MODEL_FORMATS_FIXTURE);
  mkdirSync(dir);
  copyFileSync(path.join(models, 'torch-mlp.onnx'), path.join(dir, 'torch-mlp.onnx-bytes'));
  copyFileSync(path.join(models, 'keras2-mlp.h5'), path.join(dir, 'keras2-mlp.h5-bytes'));
  for (const f of ['members.csv', 'nonmembers.csv']) copyFileSync(path.join(models, 'audit', f), path.join(dir, `${f}-bytes`));
  copyFileSync(path.join(models, 'expected.json'), path.join(dir, 'expected.json'));
}

/** A throwaway copy of the example, without results a previous CLI run may have left. */
export function exampleWorkspace() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mpl-integration-'));
  const workspace = path.join(dir, 'fashion-mnist');
  cpSync(path.join(PROJECT_ROOT, 'examples/fashion-mnist'), workspace, {
    recursive: true,
    filter: (src) => !/[\\/](privacy-report|\.privacy-lint-cache)([\\/]|$)/.test(src),
  });
  writeDefensesFixture(workspace);
  writeModelFormatsFixture(workspace);
  // For scan.test.ts, which copies it to a .pkl name detection sees; this name it does not.
  copyFileSync(path.join(PROJECT_ROOT, 'test/fixtures/scan/os-system-stack-global.pkl'), path.join(workspace, SCAN_FIXTURE));
  return { dir, workspace };
}

