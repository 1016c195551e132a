// Shared by both ways of running the integration suite: in code-server (run.mjs, what
// this machine can do) and in a downloaded VS Code (run-electron.mjs, the ecosystem's
// standard runner, for machines with network access).
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

/** A throwaway copy of the example, without results a previous CLI run may have left. */
export function exampleWorkspace() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mpl-integration-'));
  const workspace = path.join(dir, 'fashion-mnist');
  cpSync(path.join(PROJECT_ROOT, 'examples/fashion-mnist'), workspace, {
    recursive: true,
    filter: (src) => !/[\\/](privacy-report|\.privacy-lint-cache)([\\/]|$)/.test(src),
  });
  return { dir, workspace };
}

