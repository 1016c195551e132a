#!/usr/bin/env node
// Integration tests in a real VS Code: builds the extension, packages it with vsce,
// installs the .vsix in code-server (test/harness) and runs test/integration/*.test.ts
// (bundled to CommonJS) with mocha inside its extension host, on a fresh copy of
// examples/fashion-mnist. Two runs, each in its own code-server: *.untrusted.test.ts
// with Workspace Trust on, so the folder opens in Restricted Mode; the rest trusted.
//
//   node test/integration/run.mjs [--skip-build] [--grep PATTERN] [--keep-workspace]
//                                 [--only trusted|untrusted]
//
// --grep applies to both runs, and a run where no test matches fails: pair it with --only.
//
// Needs the provisioned harness: bash scripts/provision-vscode-test.sh
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packageVsix } from '../harness/package-vsix.mjs';
import { runExtensionTests } from '../harness/run-extension-tests.mjs';
import { PROJECT_ROOT, TEST_OUTPUT_DIR } from '../harness/paths.mjs';
import { bundleTests, exampleWorkspace } from './prepare.mjs';

const { values } = parseArgs({
  options: {
    'skip-build': { type: 'boolean', default: false },
    grep: { type: 'string' },
    'keep-workspace': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

const UNTRUSTED_SUFFIX = '.untrusted.test.ts';
const RUNS = [
  // First: it is short, and needs no engine.
  {
    name: 'untrusted',
    label: 'integration-restricted',
    files: (f) => f.endsWith(UNTRUSTED_SUFFIX),
    // Workspace Trust on (the harness then also keeps the trust prompt from blocking the workbench).
    userSettings: { 'security.workspace.trust.enabled': true },
  },
  { name: 'trusted', label: 'integration', files: (f) => !f.endsWith(UNTRUSTED_SUFFIX), userSettings: {} },
];

const log = (msg) => console.log(`[integration] ${msg}`);

function buildExtension() {
  log('building dist/ (node esbuild.mjs)');
  const result = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${result.status})`);
}

async function runOne(run, vsix) {
  const testGlob = await bundleTests(path.join(TEST_OUTPUT_DIR, `${run.label}-tests`), run.files);
  const { dir, workspace } = exampleWorkspace();
  try {
    return await runExtensionTests({
      workspace,
      vsix: [vsix],
      testGlob,
      label: run.label,
      userSettings: run.userSettings,
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

async function main() {
  const runs = RUNS.filter((r) => values.only === undefined || r.name === values.only);
  if (runs.length === 0) throw new Error(`--only must be one of: ${RUNS.map((r) => r.name).join(', ')}`);
  if (!values['skip-build']) buildExtension();
  log('packaging the extension with vsce');
  const vsix = await packageVsix({ extensionPath: PROJECT_ROOT, outFile: path.join(TEST_OUTPUT_DIR, 'model-privacy-lint.vsix') });
  const codes = [];
  for (const run of runs) {
    log(`--- ${run.name} workspace (${run.label}) ---`);
    codes.push(await runOne(run, vsix));
  }
  runs.forEach((run, i) => log(`${run.name}: exit code ${codes[i]}`));
  return codes.find((c) => c !== 0) ?? 0;
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
