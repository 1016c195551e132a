// Run a mocha suite inside the extension host of a real VS Code (code-server + Chromium).
// The test payload in the URL is honoured only with `enable-smoke-test-driver`; when the
// tests end the workbench calls window.codeAutomationExit(code, logs), which we catch.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { launchChromium } from './browser.mjs';
import { startCodeServer } from './code-server.mjs';
import { ensureTestOutputDir, MOCHA_DIR, MOCHA_RUNNER } from './paths.mjs';

const log = (label, msg) => console.log(`[${label}] ${msg}`);

/**
 * Options:
 *   workspace                 folder to open (required)
 *   extensionDevelopmentPath  extension folder loaded as "under development", and/or
 *   vsix                      .vsix files installed before start (string[])
 *   extensionTestsPath        CommonJS module exporting run(); default: mocha-runner.cjs
 *   testGlob                  glob or globs of CommonJS test files (default runner; relative
 *                             ones are resolved against the current directory)
 *   env                       extra environment for the extension host
 *   userSettings              VS Code user settings
 *   timeoutMs                 whole-run limit (default 300 s), then screenshot and throw
 *   label                     names the report and artefacts in test-output/
 * Resolves with the exit code (0 = all passed); throws on timeout or harness failure.
 */
export async function runExtensionTests(options) {
  const {
    workspace,
    extensionDevelopmentPath,
    vsix = [],
    extensionTestsPath = MOCHA_RUNNER,
    testGlob,
    env = {},
    userSettings = {},
    timeoutMs = 300_000,
    label = 'extension-tests',
  } = options;
  if (!workspace) throw new Error('runExtensionTests: workspace is required');
  if (extensionTestsPath === MOCHA_RUNNER && !testGlob) throw new Error('runExtensionTests: testGlob is required');

  const outDir = ensureTestOutputDir();
  const reportFile = path.join(outDir, `${label}-report.json`);
  rmSync(reportFile, { force: true });
  const hostEnv = {
    HARNESS_REPORT_FILE: reportFile,
    HARNESS_MOCHA_PATH: MOCHA_DIR,
    HARNESS_WORKSPACE: path.resolve(workspace),
    ...(testGlob ? { HARNESS_TEST_GLOB: JSON.stringify([testGlob].flat().map((g) => path.resolve(g))) } : {}),
    ...env,
  };

  const started = Date.now();
  log(label, `starting code-server (smoke-test driver on${vsix.length ? `, installing ${vsix.join(', ')}` : ''})`);
  const server = await startCodeServer({ smokeTestDriver: true, vsix, userSettings });
  let browser;
  let timer;
  try {
    browser = await launchChromium();
    const { page } = browser;
    let onExit;
    const exited = new Promise((resolve) => (onExit = resolve));
    // Must be in place before the page loads: the workbench looks it up on window.
    await page.exposeFunction('codeAutomationExit', (code, logs) => onExit({ code, logs }));
    // The extension host runs extensionTestsPath only when some extensionDevelopmentPath
    // is set too; to test installed .vsix files alone, point it at an empty folder.
    let devPath = extensionDevelopmentPath;
    if (!devPath) {
      devPath = path.join(server.runDir, 'no-extension-under-development');
      mkdirSync(devPath);
    }
    const payload = [
      ['extensionDevelopmentPath', server.remoteUri(devPath)],
      ['extensionTestsPath', server.remoteUri(extensionTestsPath)],
      ['extensionEnvironment', JSON.stringify(hostEnv)],
    ];
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    log(label, `opening ${server.url} on ${workspace}`);
    // The run's own limit covers loading too: the 19 MB workbench loads slowly on a busy machine.
    const navigated = page.goto(server.folderUrl(workspace, payload), { waitUntil: 'commit', timeout: 0 });
    const result = await Promise.race([navigated.then(() => exited), timedOut]);

    if (result === null) {
      const shot = await browser.screenshot(`${label}-timeout`).catch((err) => `(screenshot failed: ${err.message})`);
      throw new Error(
        `extension tests did not finish within ${Math.round(timeoutMs / 1000)} s (no codeAutomationExit).\n` +
          `screenshot: ${shot}\n--- workbench console (tail) ---\n${browser.consoleLines.slice(-30).join('\n')}\n` +
          `--- code-server log (tail) ---\n${server.logTail(30)}`,
      );
    }

    const report = readReport(reportFile);
    printReport(label, report, reportFile);
    let code = Number(result.code);
    if (code === 0 && (!report || !report.ok)) code = 1; // never a green run without a good report
    if (code !== 0) saveWorkbenchLogs(outDir, label, result.logs);
    log(label, `exit code ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  } finally {
    clearTimeout(timer);
    await browser?.close();
    await server.stop();
  }
}

function readReport(file) {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function printReport(label, report, file) {
  if (!report) {
    log(label, `no report at ${file}: the runner did not start or crashed before writing it`);
    return;
  }
  log(label, `VS Code ${report.vscodeVersion}, extension host Node ${report.nodeVersion}, ${report.files.length} file(s)`);
  for (const t of report.tests) {
    const mark = t.state === 'passed' ? 'ok  ' : t.state === 'failed' ? 'FAIL' : 'skip';
    console.log(`  ${mark} ${t.fullTitle} (${t.durationMs} ms)`);
  }
  report.failureDetails.forEach((f, i) => {
    console.log(`\n  ${i + 1}) ${f.fullTitle}\n${indent(f.stack)}`);
  });
  if (report.error) console.log(`\n  runner error: ${report.error.message}\n${indent(report.error.stack)}`);
  // The plain closing line CI reads: "N passed, N failed[, N skipped]".
  console.log(`${report.passes} passed, ${report.failures} failed, ${report.pending} skipped`);
}

const indent = (text) => String(text).split('\n').map((l) => `     ${l}`).join('\n');

// The workbench hands over its log files (extension host included) with the exit code.
function saveWorkbenchLogs(outDir, label, logs) {
  if (!Array.isArray(logs) || logs.length === 0) return;
  const dir = path.join(outDir, `${label}-logs`);
  rmSync(dir, { recursive: true, force: true });
  for (const entry of logs) {
    if (!entry?.relativePath || entry.relativePath.includes('..')) continue;
    const file = path.join(dir, entry.relativePath);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, String(entry.contents ?? ''));
  }
  console.log(`[${label}] workbench logs saved in ${dir}`);
}

// CLI: node test/harness/run-extension-tests.mjs --workspace DIR --tests 'ABS_GLOB'
//        [--extension-development-path DIR] [--vsix FILE]... [--env KEY=VALUE]...
//        [--timeout SECONDS] [--label NAME]
async function main() {
  const { values } = parseArgs({
    options: {
      workspace: { type: 'string' },
      tests: { type: 'string', multiple: true },
      'extension-development-path': { type: 'string' },
      'extension-tests-path': { type: 'string' },
      vsix: { type: 'string', multiple: true, default: [] },
      env: { type: 'string', multiple: true, default: [] },
      timeout: { type: 'string', default: '300' },
      label: { type: 'string', default: 'extension-tests' },
    },
  });
  const env = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const code = await runExtensionTests({
    workspace: values.workspace,
    testGlob: values.tests,
    extensionDevelopmentPath: values['extension-development-path'],
    extensionTestsPath: values['extension-tests-path'] ? path.resolve(values['extension-tests-path']) : undefined,
    vsix: values.vsix,
    env,
    timeoutMs: Number(values.timeout) * 1000,
    label: values.label,
  });
  process.exitCode = code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
