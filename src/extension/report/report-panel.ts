/**
 * The report panel host: one panel, reused. It owns the HTML shell and the data handshake
 * (the webview posts `ready`, the host answers with the report) and saves what the
 * webview exports. The report itself is rendered entirely in the webview.
 */
import * as vscode from 'vscode';
import type { AuditReport } from '../../engine/report/schema';
import { isReportViewState, isWebviewToHostMessage, type HostToWebviewMessage, type WebviewToHostMessage } from './messages';
import { buildReportHtml } from './report-html';
import { saveExport } from './save-export';

export class ReportPanel {
  static readonly viewType = 'modelPrivacy.report';
  private static current: ReportPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private report: AuditReport | undefined;
  /** Audit the user asked for, sent once; afterwards the webview keeps the user's own choice. */
  private focusAudit: string | undefined;

  /** The report the open panel shows (the last one sent to its webview), if a panel is open. */
  static get shownReport(): AuditReport | undefined {
    return ReportPanel.current?.report;
  }

  /** The open panel, if any (integration tests and commands that refresh it use this). */
  static get currentPanel(): ReportPanel | undefined {
    return ReportPanel.current;
  }

  /** Options for both new and revived panels: scripts on, and only our two asset folders readable. */
  static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      // The webview restores from getState, so there is no reason to keep a hidden one in memory.
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  /** Shows `report` in the one report panel, creating it beside the active editor when needed. */
  static createOrShow(extensionUri: vscode.Uri, report: AuditReport, auditName?: string): ReportPanel {
    const existing = ReportPanel.current;
    if (existing) {
      existing.show(report, auditName);
      existing.panel.reveal();
      return existing;
    }
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    const panel = vscode.window.createWebviewPanel(ReportPanel.viewType, panelTitle(auditName), column, ReportPanel.webviewOptions(extensionUri));
    const created = new ReportPanel(panel, extensionUri, report);
    created.show(report, auditName);
    return created;
  }

  /**
   * Re-attaches a panel VS Code restored after a reload. `state` is what the webview last
   * stored with setState; the webview renders it by itself, the host keeps it to answer `ready`.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, state: unknown): ReportPanel {
    panel.webview.options = ReportPanel.webviewOptions(extensionUri);
    const saved = isReportViewState(state) ? state : undefined;
    if (saved?.audit) panel.title = panelTitle(saved.audit);
    return new ReportPanel(panel, extensionUri, saved?.report);
  }

  /** Replaces the report of an open panel without revealing it (new results arrived). */
  static refresh(report: AuditReport): void {
    ReportPanel.current?.show(report, undefined);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    report: AuditReport | undefined,
  ) {
    ReportPanel.current?.dispose();
    ReportPanel.current = this;
    this.report = report;
    panel.webview.html = buildReportHtml(panel.webview, {
      script: vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'report.js'),
      style: vscode.Uri.joinPath(extensionUri, 'media', 'report.css'),
    });
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m), null, this.disposables);
  }

  dispose(): void {
    if (ReportPanel.current === this) ReportPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }

  private show(report: AuditReport, auditName: string | undefined): void {
    this.report = report;
    this.focusAudit = auditName;
    if (auditName) this.panel.title = panelTitle(auditName);
    this.post();
  }

  private post(): void {
    if (!this.report) return;
    const message: HostToWebviewMessage = { type: 'report', report: this.report, audit: this.focusAudit };
    // A hidden webview without retained context drops messages (false); `ready` retries then.
    void this.panel.webview.postMessage(message).then((delivered) => {
      if (delivered && this.focusAudit === message.audit) this.focusAudit = undefined;
    });
  }

  private onMessage(message: unknown): void {
    if (!isWebviewToHostMessage(message)) return;
    const m: WebviewToHostMessage = message;
    switch (m.type) {
      case 'ready':
        this.post();
        return;
      case 'savePng':
      case 'saveText':
        saveExport(m, this.exportFolder()).then(
          (saved) => {
            if (saved) void vscode.window.showInformationMessage(`Saved ${vscode.workspace.asRelativePath(saved)}`);
          },
          (error: unknown) => {
            void vscode.window.showErrorMessage(`Could not save the export: ${error instanceof Error ? error.message : String(error)}`);
          },
        );
        return;
    }
  }

  /** Proposes the workspace folder holding the report's root, else the first folder. */
  private exportFolder(): vscode.Uri | undefined {
    const root = this.report?.root;
    const folder = root ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root)) : undefined;
    return folder?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  }
}

function panelTitle(auditName: string | undefined): string {
  return auditName ? `Privacy report: ${auditName}` : 'Privacy report';
}
