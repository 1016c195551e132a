// VS Code's own activation time for the extension, as "Developer: Show Running Extensions"
// displays it (code loading + the activate() call, timed by the extension host), read from
// the workbench UI of a fresh session where the example activates it at startup
// (workspaceContains). Runs in the benchmark driver, not in the extension host.
import { startUiSession } from '../../test/harness/ui-session.mjs';
import { runCommand } from '../../test/harness/workbench-ui.mjs';

const ROW_NAME = /Model Privacy Lint|model-privacy-lint\.model-privacy-lint/;

/** -> { ms, text }: the number and the label it came from ("Startup Activation: 123ms"). */
export async function vscodeReportedActivation({ workspace, vsix }) {
  const ui = await startUiSession({ workspace, vsix: [vsix], label: 'bench-running-extensions', readyTimeoutMs: 240_000 });
  try {
    const { page } = ui;
    // activate() creates the status item: once it shows, the activation has been timed.
    await page.locator('.part.statusbar [aria-label^="Model Privacy:"]').first().waitFor({ state: 'visible', timeout: 120_000 });
    await runCommand(page, 'Developer: Show Running Extensions');
    const time = page.locator('.monaco-list-row').filter({ hasText: ROW_NAME }).locator('.activation-time').first();
    await time.waitFor({ state: 'visible', timeout: 30_000 });
    const text = (await time.innerText()).trim();
    const match = /Activation:\s*(\d+)\s*ms/i.exec(text);
    if (!match) throw new Error(`unexpected activation label in Running Extensions: "${text}"`);
    return { ms: Number(match[1]), text };
  } catch (err) {
    const shot = await ui.screenshot('failed').catch(() => '(no screenshot)');
    throw new Error(`${err.message}\nscreenshot: ${shot}`);
  } finally {
    await ui.stop();
  }
}
