// Debian's Chromium driven by playwright-core (never `npx playwright install`: no internet).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onExitCleanup } from './exit-cleanup.mjs';
import { CHROMIUM_BIN, ensureTestOutputDir, loadPlaywright, timestamp } from './paths.mjs';

// Flags measured on this machine (machine-notes): no sandbox as root, no GPU, and no
// background traffic that would only time out offline.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launch Chromium with a fresh profile. Returns { context, page, consoleLines, screenshot(name), close() }.
 * consoleLines keeps the last 200 workbench console messages for failure reports.
 */
export async function launchChromium({ viewport = { width: 1600, height: 1000 } } = {}) {
  const { chromium } = loadPlaywright();
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'mpl-chromium-'));
  // Playwright kills Chromium itself if we die; the folder is ours to remove.
  const forgetRunDir = onExitCleanup(() => rmSync(runDir, { recursive: true, force: true }));
  let context;
  try {
    context = await chromium.launchPersistentContext(path.join(runDir, 'profile'), {
      executablePath: CHROMIUM_BIN,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
      // Chromium writes crash-report settings and dconf files under XDG dirs regardless
      // of the profile folder; keep those in the run folder too.
      env: {
        ...process.env,
        XDG_CONFIG_HOME: path.join(runDir, 'xdg/config'),
        XDG_CACHE_HOME: path.join(runDir, 'xdg/cache'),
      },
    });
  } catch (err) {
    rmSync(runDir, { recursive: true, force: true });
    forgetRunDir();
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines = [];
  const remember = (line) => {
    consoleLines.push(line);
    if (consoleLines.length > 200) consoleLines.shift();
  };
  page.on('console', (msg) => remember(`[${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (err) => remember(`[pageerror] ${err.message}`));

  let closing;
  return {
    context,
    page,
    consoleLines,
    /** Full-page PNG into test-output/; returns its path. */
    screenshot: async (name) => {
      const file = path.join(ensureTestOutputDir(), `${name}-${timestamp()}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    close: () => {
      closing ??= (async () => {
        await context.close().catch(() => {});
        rmSync(runDir, { recursive: true, force: true });
        forgetRunDir();
      })();
      return closing;
    },
  };
}
