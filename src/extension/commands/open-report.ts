/**
 * modelPrivacy.openReport: asks the engine for a report (ReportRequest) and shows it in
 * the report panel (src/extension/report). Keeps an open panel current when new results
 * arrive. Resolves to true when a report was shown.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ReportRequest } from '../../shared/protocol';
import { COMMANDS } from '../command-ids';
import type { ReportArgs } from '../codelens/audit-lenses';
import type { Ctx } from '../ctx';
import { ReportPanel } from '../report/report-panel';
import { reportArgsForNode, reportArgsOf } from '../results/report-args';
import { outcomeLine } from '../results/summary-format';
import { explainRestricted, isTrusted } from '../trust';
import { showRequestError } from './show-outcome';
import { isTreeNode } from './targets';

const WHAT = 'Opening the privacy report';

function isReportArgs(value: unknown): value is ReportArgs {
  return typeof value === 'object' && value !== null && typeof (value as { reportKey?: unknown }).reportKey === 'string';
}

export class ReportOpener implements vscode.Disposable {
  /** The report key of the panel's report, to refresh it when results change. */
  private shownKey: string | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.subscription = ctx.results.onDidChange(() => void this.refreshOpenPanel());
  }

  async command(...args: unknown[]): Promise<boolean> {
    if (!isTrusted()) {
      explainRestricted(WHAT);
      return false;
    }
    const request = this.fromArgs(args[0]) ?? (await this.pick());
    if (!request) return false;
    const client = await this.ctx.requireClient(WHAT);
    if (!client) return false;
    try {
      const report = await client.sendRequest(ReportRequest, { reportKey: request.reportKey });
      if (!report) {
        this.noResults(request);
        return false;
      }
      ReportPanel.createOrShow(this.ctx.extensionUri, report, request.audit);
      this.shownKey = request.reportKey;
      return true;
    } catch (e) {
      showRequestError(this.ctx, WHAT, e);
      return false;
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private fromArgs(arg: unknown): ReportArgs | undefined {
    if (isReportArgs(arg)) return arg.audit !== undefined ? { reportKey: arg.reportKey, audit: arg.audit } : { reportKey: arg.reportKey };
    if (arg instanceof vscode.Uri) return { reportKey: arg.fsPath };
    if (isTreeNode(arg)) return reportArgsForNode(arg, this.ctx.results.all());
    return undefined;
  }

  /** Palette: the engine's audits with results; one is opened directly. */
  private async pick(): Promise<ReportArgs | undefined> {
    const withResults = this.ctx.results.all().filter((s) => s.auc !== undefined);
    const last = this.ctx.status.engine?.lastSummary;
    const ordered = last ? [...withResults.filter((s) => s.audit === last.audit && s.model === last.model), ...withResults.filter((s) => s.audit !== last.audit || s.model !== last.model)] : withResults;
    if (ordered.length === 0) {
      const run = 'Audit membership risk';
      void vscode.window.showInformationMessage('No audit results yet: run an audit first.', run).then((choice) => {
        if (choice === run) void vscode.commands.executeCommand(COMMANDS.audit);
      });
      return undefined;
    }
    if (ordered.length === 1) return reportArgsOf(ordered[0]!);
    const picked = await vscode.window.showQuickPick(
      ordered.map((s) => ({ label: s.audit, description: outcomeLine(s).slice(s.audit.length + 2), detail: vscode.workspace.asRelativePath(s.manifest ?? s.model), summary: s })),
      { title: 'Open privacy report', placeHolder: 'Which audit?' },
    );
    return picked ? reportArgsOf(picked.summary) : undefined;
  }

  private noResults(request: ReportArgs): void {
    const run = 'Run audit';
    const name = request.audit ?? path.basename(request.reportKey);
    void vscode.window.showInformationMessage(`There are no results for ${name} yet.`, run).then((choice) => {
      if (choice === run) void vscode.commands.executeCommand(COMMANDS.audit, request.audit !== undefined ? { target: request.reportKey, audit: request.audit } : { target: request.reportKey });
    });
  }

  private async refreshOpenPanel(): Promise<void> {
    const client = this.ctx.client;
    if (!ReportPanel.currentPanel || this.shownKey === undefined || !client) return;
    try {
      const report = await client.sendRequest(ReportRequest, { reportKey: this.shownKey });
      if (report) ReportPanel.refresh(report);
    } catch (e) {
      this.ctx.log.warn(`Refreshing the open report failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
