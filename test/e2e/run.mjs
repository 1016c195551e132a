#!/usr/bin/env node
// End-to-end test in a real VS Code, as a user would work: installs the packaged .vsix in
// code-server, opens a copy of examples/fashion-mnist in headless Chromium, audits
// model/model.json from the Explorer's context menu, reads the findings in the Problems
// panel and checks that the report webview drew its ROC chart. Screenshots of every step
// go to test-output/e2e/.
//
//   node test/e2e/run.mjs [--skip-build] [--keep-workspace] [--update-docs-images]
//
// --update-docs-images copies the Problems and report screenshots to docs/images/ (for
// the README) when every step passed. Needs the provisioned harness:
// bash scripts/provision-vscode-test.sh
import { parseArgs } from 'node:util';
import { startUiSession } from '../harness/ui-session.mjs';
import { buildExtension, exampleWorkspace, packageExtension } from './prepare.mjs';
import { createScreenshotter, SCREENSHOT_DIR } from './screenshots.mjs';
import { auditFromExplorer, checkProblems, checkReport, waitForActivation } from './steps.mjs';

const { values } = parseArgs({
  options: {
    'skip-build': { type: 'boolean', default: false },
    'keep-workspace': { type: 'boolean', default: false },
    'update-docs-images': { type: 'boolean', default: false },
  },
});

// Small enough for README images, large enough for the editor, panel and report.
const VIEWPORT = { width: 1280, height: 800 };
const log = (msg) => console.log(`[e2e] ${msg}`);

/** The journey's steps in order; each needs the ones before it. */
const STEPS = [
  { name: 'the workbench opens the folder and the extension activates with its engine', run: (page, shots) => waitForActivation(page, shots) },
  { name: 'Explorer: expand model, right-click model.json, "Audit Membership Risk"', run: (page, shots) => auditFromExplorer(page, shots) },
  { name: 'Problems panel: preliminary threshold findings, then membership-risk from rmia and the generalization gap', run: (page, shots) => checkProblems(page, shots) },
  { name: 'Open Report: the webview drew its ROC chart (markers and pixels)', run: (page, shots) => checkReport(page, shots) },
];

async function runSteps(ui, shots) {
  const results = [];
  for (const step of STEPS) {
    if (results.some((r) => !r.ok)) {
      results.push({ name: step.name, ok: false, skipped: true });
      continue;
    }
    const started = Date.now();
    log(`step: ${step.name}`);
    try {
      const detail = await step.run(ui.page, shots);
      results.push({ name: step.name, ok: true, ms: Date.now() - started, detail });
    } catch (err) {
      const shot = await shots.take('failed').catch((e) => `(screenshot failed: ${e.message})`);
      console.error(`step failed: ${err instanceof Error ? err.stack : err}\nscreenshot: ${shot}`);
      console.error(`--- workbench console (tail) ---\n${ui.consoleLines.slice(-25).join('\n')}`);
      console.error(`--- code-server log (tail) ---\n${ui.server.logTail(25)}`);
      results.push({ name: step.name, ok: false, ms: Date.now() - started });
    }
  }
  return results;
}

function printResults(results) {
  console.log('');
  for (const r of results) {
    const mark = r.skipped ? 'skip' : r.ok ? 'ok  ' : 'FAIL';
    console.log(`  ${mark} ${r.name}${r.ms !== undefined ? ` (${(r.ms / 1000).toFixed(1)} s)` : ''}`);
    if (r.detail) console.log(`       ${r.detail}`);
  }
  const skipped = results.filter((r) => r.skipped).length;
  if (skipped) console.log(`  (${skipped} step(s) not run after a failure: counted as failed)`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed;
}

async function main() {
  const started = Date.now();
  if (!values['skip-build']) buildExtension(log);
  const vsix = await packageExtension('model-privacy-lint-e2e', log);
  const { workspace, remove } = exampleWorkspace('e2e');
  let results;
  try {
    log(`starting VS Code (code-server) on ${workspace}`);
    // The folder opening and the 19 MB workbench load slowly when the machine is busy.
    const ui = await startUiSession({ workspace, vsix: [vsix], label: 'e2e', readyTimeoutMs: 240_000 });
    try {
      await ui.page.setViewportSize(VIEWPORT);
      const shots = createScreenshotter(ui.page);
      results = await runSteps(ui, shots);
      if (results.every((r) => r.ok)) {
        await shots.take('workbench-at-end');
        if (values['update-docs-images']) {
          for (const file of shots.publish({ problems: 'vscode-problems.png', report: 'vscode-report.png' })) log(`README image: ${file}`);
        }
      }
      log(`screenshots in ${SCREENSHOT_DIR}`);
    } finally {
      await ui.stop();
    }
  } finally {
    if (values['keep-workspace']) log(`kept the workspace ${workspace}`);
    else remove();
  }
  const failed = printResults(results);
  log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // A failure before the steps (build, packaging, VS Code start) is one failed check.
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  },
);
