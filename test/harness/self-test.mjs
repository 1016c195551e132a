// Self-test of the real-VS-Code harness with the probe extension in
// test/fixtures/harness-probe/. Exits 0 only when every check passed.
// Usage: node test/harness/self-test.mjs [--skip-provision]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageVsix } from './package-vsix.mjs';
import { PROJECT_ROOT, PROVISION_SCRIPT, TEST_OUTPUT_DIR } from './paths.mjs';
import { runExtensionTests } from './run-extension-tests.mjs';
import { startUiSession } from './ui-session.mjs';
import { openExplorerContextMenu, openProblemsPanel, runCommand, waitForNotification, webviewFrame } from './workbench-ui.mjs';

const PROBE_DIR = path.join(PROJECT_ROOT, 'test/fixtures/harness-probe');
const PROBE_TESTS = path.join(PROBE_DIR, 'test/*.test.js');
const FAILING_TESTS = path.join(PROBE_DIR, 'test-failing/*.test.js');

const results = [];
async function check(name, fn) {
  const started = Date.now();
  console.log(`\n=== ${name}`);
  try {
    await fn();
    results.push({ name, ok: true, ms: Date.now() - started });
  } catch (err) {
    console.error(`check failed: ${err instanceof Error ? err.stack : err}`);
    results.push({ name, ok: false, ms: Date.now() - started });
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const readReport = (label) => JSON.parse(readFileSync(path.join(TEST_OUTPUT_DIR, `${label}-report.json`), 'utf8'));

async function main() {
  const started = Date.now();
  if (!process.argv.includes('--skip-provision')) {
    const prov = spawnSync('bash', [PROVISION_SCRIPT], { stdio: 'inherit' });
    if (prov.status !== 0) throw new Error(`provisioning failed (exit ${prov.status})`);
  }

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mpl-harness-self-test-'));
  const workspace = path.join(tmp, 'probe-workspace');
  mkdirSync(workspace);
  writeFileSync(path.join(workspace, 'hello.txt'), 'opened by the harness self-test\n');
  let vsix;
  try {
    await check('package the probe extension with vsce', async () => {
      vsix = await packageVsix({ extensionPath: PROBE_DIR, outFile: path.join(tmp, 'harness-probe.vsix') });
    });

    await check('mocha in the extension host, probe installed from .vsix, all pass', async () => {
      expect(vsix, 'no .vsix to install');
      const label = 'harness-self-test-vsix';
      const code = await runExtensionTests({ workspace, vsix: [vsix], testGlob: PROBE_TESTS, timeoutMs: 180_000, label });
      const report = readReport(label);
      expect(code === 0, `exit code ${code}, expected 0`);
      expect(report.passes === 3 && report.failures === 0, `report says ${report.passes} passed, ${report.failures} failed`);
    });

    await check('mocha in the extension host, probe under development, a failure propagates', async () => {
      const label = 'harness-self-test-failure';
      const code = await runExtensionTests({
        workspace,
        extensionDevelopmentPath: PROBE_DIR,
        testGlob: [PROBE_TESTS, FAILING_TESTS],
        timeoutMs: 180_000,
        label,
      });
      const report = readReport(label);
      expect(code !== 0, 'exit code 0 although a test failed on purpose');
      expect(report.passes === 3 && report.failures === 1, `report says ${report.passes} passed, ${report.failures} failed`);
      expect(/fails on purpose/.test(report.failureDetails[0]?.fullTitle ?? ''), 'the deliberate failure is not in the report');
      console.log('(the FAIL above is expected: this check wants it)');
    });

    await check('UI: palette command shows its notification; Problems panel, explorer menu, webview', async () => {
      expect(vsix, 'no .vsix to install');
      const ui = await startUiSession({ workspace, vsix: [vsix], label: 'harness-self-test-ui' });
      try {
        await runCommand(ui.page, 'Harness Probe: Say Hello');
        await waitForNotification(ui.page, 'Harness probe says hello from probe-workspace');
        console.log(`screenshot: ${await ui.screenshot('notification')}`);
        const problems = await openProblemsPanel(ui.page);
        expect(/No problems have been detected/.test(await problems.innerText()), 'Problems panel text unexpected');
        const menu = await openExplorerContextMenu(ui.page, 'hello.txt');
        expect(/Copy Path/.test(await menu.innerText()), 'explorer context menu lacks "Copy Path"');
        console.log(`screenshot: ${await ui.screenshot('context-menu')}`);
        await ui.page.keyboard.press('Escape');
        await runCommand(ui.page, 'Harness Probe: Show Panel');
        const heading = webviewFrame(ui.page).locator('#probe-heading');
        await heading.waitFor({ state: 'visible', timeout: 30_000 });
        expect((await heading.innerText()) === 'Harness probe webview', 'webview heading text unexpected');
        console.log(`screenshot: ${await ui.screenshot('webview')}`);
      } finally {
        await ui.stop();
      }
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  console.log('\n=== harness self-test summary');
  for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${(r.ms / 1000).toFixed(1)} s)`);
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  },
);
