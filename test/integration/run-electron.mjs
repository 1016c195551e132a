#!/usr/bin/env node
// The same integration suite under @vscode/test-electron, the ecosystem's standard runner,
// which downloads a VS Code build: for machines with network access. On machines like
// ours, where that download cannot happen, run.mjs runs the suite in code-server.
//
//   node test/integration/run-electron.mjs [--vscode-version stable|X.Y.Z] [--skip-build]
//   node test/integration/run-electron.mjs --check   # wiring only: bundle, resolve, no download
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, TEST_OUTPUT_DIR } from '../harness/paths.mjs';
import { bundleTests, exampleWorkspace } from './prepare.mjs';

const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    'vscode-version': { type: 'string', default: 'stable' },
  },
});

const RUNNER = path.join(PROJECT_ROOT, 'test/harness/mocha-runner.cjs');
const MOCHA = path.dirname(require.resolve('mocha/package.json'));

async function main() {
  const { runTests } = await import('@vscode/test-electron');
  if (typeof runTests !== 'function') throw new Error('@vscode/test-electron has no runTests export');
  if (!existsSync(RUNNER)) throw new Error(`missing test runner ${RUNNER}`);
  if (!values['skip-build'] && !values.check) {
    const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('node esbuild.mjs failed');
  }
  // Restricted Mode needs code-server's trust settings; this runner covers the trusted suite.
  const testGlob = await bundleTests(path.join(TEST_OUTPUT_DIR, 'electron-tests'), (f) => !f.endsWith('.untrusted.test.ts'));
  const env = {
    HARNESS_MOCHA_PATH: MOCHA,
    HARNESS_REPORT_FILE: path.join(TEST_OUTPUT_DIR, 'electron-report.json'),
    HARNESS_TEST_GLOB: testGlob,
    HARNESS_WORKSPACE: '',
    HARNESS_MOCHA_TIMEOUT: '60000',
  };
  if (values.check) {
    console.log(`wiring ok: runTests found, runner ${path.relative(PROJECT_ROOT, RUNNER)}, mocha ${path.relative(PROJECT_ROOT, MOCHA)}, tests ${path.relative(PROJECT_ROOT, testGlob)}`);
    return 0;
  }
  const { dir, workspace } = exampleWorkspace();
  try {
    await runTests({
      version: values['vscode-version'],
      extensionDevelopmentPath: PROJECT_ROOT,
      extensionTestsPath: RUNNER,
      extensionTestsEnv: { ...env, HARNESS_WORKSPACE: workspace },
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    });
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
