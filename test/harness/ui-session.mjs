// A real VS Code workbench in headless Chromium for end-to-end UI tests. The server runs
// WITHOUT the smoke-test driver: in that mode notifications are hidden.
import path from 'node:path';
import { launchChromium } from './browser.mjs';
import { startCodeServer } from './code-server.mjs';
import { waitForWorkbench } from './workbench-ui.mjs';

/**
 * startUiSession({ workspace, vsix = [], userSettings = {}, env = {}, label = 'ui',
 *                  readyTimeoutMs = 120_000 })
 *   -> { page, server, consoleLines, screenshot(name) -> png path in test-output/, stop() }
 * Installs the .vsix files, opens `workspace`, and resolves once the workbench shows it.
 * On a start failure it saves a screenshot, stops everything and throws.
 */
export async function startUiSession(options) {
  const { workspace, vsix = [], userSettings = {}, env = {}, label = 'ui', readyTimeoutMs = 120_000 } = options;
  if (!workspace) throw new Error('startUiSession: workspace is required');
  const server = await startCodeServer({ vsix, userSettings, env });
  let browser;
  const stop = async () => {
    await browser?.close();
    await server.stop();
  };
  try {
    browser = await launchChromium();
    const { page } = browser;
    await page.goto(server.folderUrl(workspace), { waitUntil: 'commit', timeout: readyTimeoutMs });
    await waitForWorkbench(page, { folderName: path.basename(path.resolve(workspace)), timeoutMs: readyTimeoutMs });
    return {
      page,
      server,
      consoleLines: browser.consoleLines,
      screenshot: (name) => browser.screenshot(`${label}-${name}`),
      stop,
    };
  } catch (err) {
    const shot = browser ? await browser.screenshot(`${label}-start-failed`).catch(() => '(none)') : '(no browser)';
    await stop();
    throw new Error(`UI session did not become ready: ${err.message}\nscreenshot: ${shot}`);
  }
}
