// The user's journey through the extension, one function per step, driven only through
// the workbench UI (mouse, keyboard, command palette): nothing here calls the extension's
// API. Each step throws on the first thing a user would see go wrong.
import { openExplorerContextMenu, openProblemsPanel, runCommand, webviewFrame } from '../harness/workbench-ui.mjs';
import { assertDrawn, canvasPixels } from './canvas-pixels.mjs';

/**
 * The example's strongest attack, which the final high membership-risk finding names (the
 * manifest lists no attacks: the defaults run RMIA on reference models), and the strongest
 * threshold attack, which the preliminary findings shown before it name.
 */
export const STRONGEST_ATTACK = 'rmia';
const STRONGEST_THRESHOLD_ATTACK = 'loss-threshold-per-class';
const PRELIMINARY_MARK = '[preliminary: threshold attacks only]';
const AUDIT_MENU_ENTRY = /^Audit Membership Risk$/i;

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** Retries `attempt` (which returns a value, or undefined to retry) until the deadline. */
async function retry(what, attempt, { timeoutMs, intervalMs = 1000, page }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s: ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    await page.waitForTimeout(intervalMs);
  }
}

/** Our status bar item; activate() creates it, so its presence means the extension is active. */
function statusItem(page) {
  return page.locator('.part.statusbar [aria-label^="Model Privacy:"]').first();
}

/** An explorer row by its exact file or folder name ("model" must not match "model.json"). */
function explorerRow(page, name) {
  return page
    .locator('.explorer-folders-view .monaco-list-row')
    .filter({ has: page.locator('.label-name').getByText(name, { exact: true }) })
    .first();
}

/** Step: the workbench shows the folder, the extension activated by itself (workspaceContains)
 *  and its engine is up (the status item shows the shield, not the spinner). */
export async function waitForActivation(page, shots) {
  await statusItem(page).waitFor({ state: 'visible', timeout: 120_000 });
  await page.locator('.part.statusbar [aria-label^="Model Privacy:"] .codicon-shield').first().waitFor({ state: 'visible', timeout: 120_000 });
  await shots.take('activated');
  return `status item: "${await statusItem(page).getAttribute('aria-label')}"`;
}

/** Step: Explorer > expand `model` > right-click `model.json` > "Audit Membership Risk". */
export async function auditFromExplorer(page, shots) {
  const folder = explorerRow(page, 'model');
  await folder.waitFor({ state: 'visible', timeout: 30_000 });
  if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
  await explorerRow(page, 'model.json').waitFor({ state: 'visible', timeout: 30_000 });

  // The entry's `when` clause needs the detected-model context key: right after activation
  // the menu can open without it. Close and reopen until it is there.
  const entry = await retry(
    'the explorer context menu of model.json to offer "Audit Membership Risk"',
    async () => {
      const menu = await openExplorerContextMenu(page, 'model.json');
      const item = menu.locator('.action-item').filter({ hasText: AUDIT_MENU_ENTRY }).first();
      if (await item.isVisible()) return item;
      await page.keyboard.press('Escape');
      return undefined;
    },
    { timeoutMs: 60_000, page },
  );
  await entry.hover();
  await shots.take('explorer-context-menu');
  await entry.click();
  await entry.waitFor({ state: 'hidden', timeout: 10_000 });
  await shots.take('audit-started');
}

const RISK_CODE = /membership-risk|MPL001/;
const GAP_CODE = /generalization-gap|MPL005/;
/** Copies of the model findings on model.json start with this; the manifest's own do not. */
const MIRRORED_PREFIX = 'audit "';

/**
 * Step: the audit's findings appear in the Problems panel: first the threshold attacks'
 * preliminary ones (marked), then the final membership-risk finding naming the strongest
 * attack, and the generalization gap. Clicking the manifest's membership-risk row opens
 * privacy-audit.json, squiggled, beside the panel.
 */
export async function checkProblems(page, shots) {
  const panel = await openProblemsPanel(page);
  const markerRows = panel.locator('.monaco-list-row[aria-level="2"]');
  // The threshold attacks answer first (engine start included); the reference models then
  // train for a while (on this shared 2-core machine from seconds to a minute or two).
  const preliminaryRow = markerRows.filter({ hasText: PRELIMINARY_MARK }).filter({ hasText: STRONGEST_THRESHOLD_ATTACK }).first();
  await preliminaryRow.waitFor({ state: 'visible', timeout: 300_000 });
  const preliminary = await preliminaryRow.innerText();
  await shots.take('problems-preliminary');
  await markerRows.filter({ hasText: STRONGEST_ATTACK }).filter({ hasText: RISK_CODE }).first().waitFor({ state: 'visible', timeout: 300_000 });
  await markerRows.filter({ hasText: PRELIMINARY_MARK }).first().waitFor({ state: 'detached', timeout: 30_000 });

  // Files are listed by path, so model.json (with copies of the model findings) comes
  // first and can push the manifest's rows out of the panel's virtual list: fold it.
  const modelGroup = panel.locator('.monaco-list-row[aria-level="1"]').filter({ hasText: 'model.json' }).first();
  if ((await modelGroup.getAttribute('aria-expanded')) === 'true') await modelGroup.locator('.monaco-tl-twistie').click();
  const manifestRows = markerRows.filter({ hasNotText: MIRRORED_PREFIX });
  const riskRow = manifestRows.filter({ hasText: STRONGEST_ATTACK }).filter({ hasText: RISK_CODE }).first();
  await riskRow.waitFor({ state: 'visible', timeout: 30_000 });

  // Clicking a problem opens its file at the finding, as a user would jump to it.
  await riskRow.click();
  await page.locator('.tabs-container .tab.active', { hasText: 'privacy-audit.json' }).waitFor({ state: 'visible', timeout: 30_000 });
  const editor = page.locator('.editor-instance .monaco-editor').first();
  // A squiggle is a decoration in the editor's view overlays.
  await editor.locator('.squiggly-warning, .squiggly-error').first().waitFor({ state: 'visible', timeout: 30_000 });
  // The "audit finished" toast would cover the panel's rows in the screenshot.
  await runCommand(page, 'Notifications: Clear All Notifications');
  // Put the cursor on a visible line below: the finding's selection would hide its squiggle.
  await editor.locator('.view-line').filter({ hasText: '"policy"' }).first().click();

  const texts = await manifestRows.allInnerTexts();
  const risk = texts.find((t) => t.includes(STRONGEST_ATTACK) && RISK_CODE.test(t));
  expect(risk, `the manifest's rows lack the membership-risk finding:\n${texts.join('\n')}`);
  expect(/TPR \d+\.\d+% at 0\.10% FPR .*exceeds the policy maximum/.test(risk), `the membership-risk row does not state the TPR against the policy: ${risk}`);
  await shots.take('problems');
  // The final audit has more findings (each with its related datasets) than the panel
  // shows at once: find the gap with the panel's filter, as a user would, then clear it.
  const filter = page.getByPlaceholder(/^Filter \(e\.g\. text/).first();
  await filter.fill('memorised');
  const gapRow = manifestRows.filter({ hasText: GAP_CODE }).first();
  await gapRow.waitFor({ state: 'visible', timeout: 30_000 });
  const gap = await gapRow.innerText();
  await filter.fill('');
  expect(/members but .* non-members \(gap \d/.test(gap), `the generalization-gap row does not state the accuracy gap: ${gap}`);
  return `first "${oneLine(preliminary)}"; then "${oneLine(risk)}" / "${oneLine(gap)}"`;
}

const oneLine = (text) => text.replace(/\s+/g, ' ').trim();

/**
 * Step: "Model Privacy: Open Report" from the command palette; inside the report webview
 * the ROC chart was drawn (the webview's own markers) and its canvas holds a drawing.
 */
export async function checkReport(page, shots) {
  // The whole window for the report: no editor beside it, no panel, no side bar.
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'View: Hide Panel');
  await runCommand(page, 'View: Close Primary Side Bar');
  await runCommand(page, 'Model Privacy: Open Report');

  const frame = webviewFrame(page);
  const body = frame.locator('body[data-roc-series]');
  await body.waitFor({ state: 'attached', timeout: 60_000 });
  const series = Number(await body.getAttribute('data-roc-series'));
  expect(series >= 1, `body[data-roc-series] is ${series}: no ROC curve was drawn`);

  const canvas = frame.locator('canvas#roc-chart[data-roc-points]');
  await canvas.waitFor({ state: 'attached', timeout: 30_000 });
  const points = Number(await canvas.getAttribute('data-roc-points'));
  expect(points > 0, `canvas#roc-chart[data-roc-points] is ${points}: the curves have no points`);

  const stats = await canvasPixels(canvas);
  assertDrawn(stats);
  // The final result: its basis line, not the preliminary banner.
  const basis = await frame.locator('#verdict-basis').innerText({ timeout: 10_000 });
  expect(/^Verdict from \d+ attacks, 4 of them with reference models \(.*rmia.*\) on 8 reference models\.$/.test(basis), `the report's verdict basis: ${basis}`);

  await canvas.evaluate((c) => c.scrollIntoView({ block: 'center' }));
  await page.waitForTimeout(500); // let the scroll settle before the picture
  await shots.take('report');
  const share = ((stats.painted / (stats.width * stats.height)) * 100).toFixed(1);
  return `${series} ROC series, ${points} points; "${basis}"; canvas ${stats.width}x${stats.height}: ${share}% painted, ${stats.colours} colours, PNG data URL ${stats.dataUrlLength} chars`;
}
