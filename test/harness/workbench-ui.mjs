// Small Playwright helpers for the VS Code workbench, encoding what was measured to work
// here (machine-notes): F1 palette, Ctrl+Shift+M for Problems, hover-then-pause before an
// explorer context menu, and the two nested iframes around webview content.

/** Resolves when the workbench is up and the explorer shows the opened folder. Extensions
 *  may still be activating then (the "Activating Extensions..." status item comes and goes
 *  too late to wait on): helpers below retry or wait for what they need. */
export async function waitForWorkbench(page, { folderName, timeoutMs = 120_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: left() });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: left() });
  if (folderName) {
    await page
      .locator('.part.sidebar .pane-header', { hasText: folderName })
      .first()
      .waitFor({ state: 'visible', timeout: left() });
  }
}

/** Runs a command through the palette: F1, type its title, wait for the entry, Enter.
 *  The palette lists contributed commands only once the extensions are registered and
 *  does not refresh an open list, so it is reopened until the entry shows up. */
export async function runCommand(page, title, { timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const entry = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.pressSequentially(title);
    try {
      await entry.waitFor({ state: 'visible', timeout: 3000 });
      break;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`command palette never listed "${title}": ${err.message}`);
      await page.waitForTimeout(1000);
    }
  }
  await page.keyboard.press('Enter');
}

/** Waits for a notification toast containing `text`; returns its locator. */
export async function waitForNotification(page, text, { timeoutMs = 30_000 } = {}) {
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return toast;
}

/** Opens the Problems panel with Ctrl+Shift+M; returns the panel locator. */
export async function openProblemsPanel(page, { timeoutMs = 15_000 } = {}) {
  await page.keyboard.press('Control+Shift+M');
  const panel = page.locator('.part.panel .markers-panel').first();
  await panel.waitFor({ state: 'visible', timeout: timeoutMs });
  return panel;
}

/** Right-clicks an explorer item (hover and a short pause first, or the menu may not
 *  open); returns the context menu locator. */
export async function openExplorerContextMenu(page, itemName, { timeoutMs = 15_000 } = {}) {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: itemName }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.hover();
  await page.waitForTimeout(300);
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ state: 'visible', timeout: timeoutMs });
  return menu;
}

/** Content of the active webview: outer iframe.webview.ready, inner iframe#active-frame. */
export function webviewFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}
