#!/usr/bin/env node
// Integration tests in a real VS Code: builds the extension, packages it with vsce,
// installs the .vsix in code-server (test/harness) and runs test/integration/*.test.ts
// (bundled to CommonJS) with mocha inside its extension host, on a fresh copy of
// examples/fashion-mnist.
//
//   node test/integration/run.mjs [--skip-build] [--grep PATTERN] [--keep-workspace]
//
// Needs the provisioned harness: bash scripts/provision-vscode-test.sh
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { packageVsix } from '../harness/package-vsix.mjs';
import { runExtensionTests } from '../harness/run-extension-tests.mjs';
import { PROJECT_ROOT, TEST_OUTPUT_DIR } from '../harness/paths.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    'skip-build': { type: 'boolean', default: false },
    grep: { type: 'string' },
    'keep-workspace': { type: 'boolean', default: false },
  },
});

const log = (msg) => console.log(`[integration] ${msg}`);

function buildExtension() {
  log('building dist/ (node esbuild.mjs)');
  const result = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${result.status})`);
}

/** Each test file becomes one CommonJS bundle; `vscode` stays external (the host provides it). */
async function bundleTests(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  const entryPoints = readdirSync(here).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(here, f));
  if (entryPoints.length === 0) throw new Error(`no *.test.ts in ${here}`);
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
function exampleWorkspace() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mpl-integration-'));
  const workspace = path.join(dir, 'fashion-mnist');
  cpSync(path.join(PROJECT_ROOT, 'examples/fashion-mnist'), workspace, {
    recursive: true,
    filter: (src) => !/[\\/](privacy-report|\.privacy-lint-cache)([\\/]|$)/.test(src),
  });
  return { dir, workspace };
}

async function main() {
  if (!values['skip-build']) buildExtension();
  const testGlob = await bundleTests(path.join(TEST_OUTPUT_DIR, 'integration-tests'));
  log('packaging the extension with vsce');
  const vsix = await packageVsix({ extensionPath: PROJECT_ROOT, outFile: path.join(TEST_OUTPUT_DIR, 'model-privacy-lint.vsix') });
  const { dir, workspace } = exampleWorkspace();
  try {
    return await runExtensionTests({
      workspace,
      vsix: [vsix],
      testGlob,
      label: 'integration',
      timeoutMs: 15 * 60_000,
      env: {
        HARNESS_MOCHA_TIMEOUT: '60000',
        ...(values.grep ? { HARNESS_MOCHA_GREP: values.grep } : {}),
      },
    });
  } finally {
    if (values['keep-workspace']) log(`kept the workspace ${workspace}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exitCode = 1;
  },
);
