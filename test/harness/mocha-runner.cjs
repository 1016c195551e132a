// Test runner loaded by the VS Code extension host (its `extensionTestsPath`): it runs
// mocha over the test files and writes a JSON report to a file, because the extension
// host's console is not forwarded anywhere when tests run under code-server.
//
// Configured through the extension host environment (set by run-extension-tests.mjs):
//   HARNESS_MOCHA_PATH     absolute folder of the mocha package (the extension host has no
//                          node_modules to resolve 'mocha' from, so it is required by path)
//   HARNESS_REPORT_FILE    absolute path of the JSON report to write
//   HARNESS_TEST_GLOB      absolute glob, or a JSON array of them, of CommonJS test files
//   HARNESS_MOCHA_TIMEOUT  per-test timeout in ms (default 20000)
//   HARNESS_MOCHA_UI       mocha interface: bdd (default) or tdd
//   HARNESS_MOCHA_GREP     only run tests whose full title matches
//   HARNESS_MOCHA_REQUIRE  JSON array of modules to require first (e.g. a TS loader)
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`mocha-runner: environment variable ${name} is not set`);
  return value;
}

function testFiles() {
  const raw = requiredEnv('HARNESS_TEST_GLOB');
  const patterns = raw.trim().startsWith('[') ? JSON.parse(raw) : [raw];
  const files = new Set();
  for (const pattern of patterns) {
    if (!path.isAbsolute(pattern)) throw new Error(`mocha-runner: glob must be absolute: ${pattern}`);
    // fs.globSync exists in the extension host's Node 24 (code-server runs it).
    for (const file of fs.globSync(pattern)) files.add(path.resolve(file));
  }
  if (files.size === 0) throw new Error(`mocha-runner: no test files match ${raw}`);
  return [...files].sort();
}

function writeReport(file, report) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Write then rename, so the harness never reads a half-written report.
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(report, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

function errorDetails(err) {
  return { message: String(err?.message ?? err), stack: String(err?.stack ?? err) };
}

async function run() {
  const reportFile = requiredEnv('HARNESS_REPORT_FILE');
  const started = Date.now();
  const report = {
    ok: false,
    passes: 0,
    failures: 0,
    pending: 0,
    durationMs: 0,
    vscodeVersion: require('vscode').version,
    nodeVersion: process.version,
    files: [],
    tests: [],
    failureDetails: [],
    error: null,
  };
  try {
    const Mocha = require(requiredEnv('HARNESS_MOCHA_PATH'));
    for (const mod of JSON.parse(process.env.HARNESS_MOCHA_REQUIRE || '[]')) require(mod);
    const mocha = new Mocha({
      ui: process.env.HARNESS_MOCHA_UI || 'bdd',
      timeout: Number(process.env.HARNESS_MOCHA_TIMEOUT || 20000),
      color: false,
      failZero: true, // zero tests is a failure, not a silent pass
      reporter: Mocha.reporters.Base, // collects stats, prints nothing
      ...(process.env.HARNESS_MOCHA_GREP ? { grep: process.env.HARNESS_MOCHA_GREP } : {}),
    });
    report.files = testFiles();
    for (const file of report.files) mocha.addFile(file);

    const failures = await new Promise((resolve, reject) => {
      try {
        // mocha.run() loads files with require(), so `require('vscode')` in tests works.
        const runner = mocha.run((count) => resolve(count));
        runner.on('pass', (test) => {
          report.tests.push({ fullTitle: test.fullTitle(), state: 'passed', durationMs: test.duration ?? 0 });
        });
        runner.on('fail', (test, err) => {
          report.tests.push({ fullTitle: test.fullTitle(), state: 'failed', durationMs: test.duration ?? 0 });
          report.failureDetails.push({ fullTitle: test.fullTitle(), ...errorDetails(err) });
        });
        runner.on('pending', (test) => {
          report.tests.push({ fullTitle: test.fullTitle(), state: 'pending', durationMs: 0 });
        });
      } catch (err) {
        reject(err);
      }
    });
    report.passes = report.tests.filter((t) => t.state === 'passed').length;
    report.pending = report.tests.filter((t) => t.state === 'pending').length;
    report.failures = Math.max(failures, report.failureDetails.length);
    report.ok = failures === 0 && report.tests.length > 0;
    if (report.tests.length === 0) report.error = errorDetails(new Error('no tests ran'));
  } catch (err) {
    report.error = errorDetails(err);
  }
  report.durationMs = Date.now() - started;
  writeReport(reportFile, report);
  if (!report.ok) {
    throw new Error(report.error ? `mocha-runner: ${report.error.message}` : `${report.failures} test(s) failed`);
  }
}

module.exports = { run };
