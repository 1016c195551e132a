/**
 * Restores the report panel after a window reload. VS Code calls this for panels of our
 * viewType that were open, passing the state the webview last stored with setState; the
 * activation event `onWebviewPanel:modelPrivacy.report` makes sure we are running by then.
 */
import * as vscode from 'vscode';
import { ReportPanel } from './report-panel';

export class ReportSerializer implements vscode.WebviewPanelSerializer<unknown> {
  constructor(private readonly extensionUri: vscode.Uri) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    ReportPanel.revive(panel, this.extensionUri, state);
  }
}

/** Call during activation; the returned disposable belongs in context.subscriptions. */
export function registerReportSerializer(extensionUri: vscode.Uri): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(ReportPanel.viewType, new ReportSerializer(extensionUri));
}
