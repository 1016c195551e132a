/**
 * Entry point of the report webview. Order matters: restore from saved state first (a
 * reload shows the report at once), listen for messages, then tell the host we are ready
 * so it sends the current report.
 */
import { isHostToWebviewMessage, isReportViewState } from '../../src/extension/report/messages';
import { ReportView } from './report-view';
import { applyReportMessage } from './state';
import { readTheme, watchTheme } from './theme';
import { reportHost } from './vscode-api';

function start(): void {
  const root = document.getElementById('report');
  if (!root) throw new Error('The report container is missing from the page.');
  const host = reportHost();
  const view = new ReportView(root, host, readTheme());

  const saved = host.savedState();
  if (isReportViewState(saved)) view.show(saved);

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isHostToWebviewMessage(event.data)) view.show(applyReportMessage(view.current, event.data));
  });
  watchTheme((theme) => view.setTheme(theme));
  host.post({ type: 'ready' });
}

start();
