/** Tells the user how an audit or sweep ended, without blocking the command's result. */
import * as vscode from 'vscode';
import type { AuditOutcome } from '../../shared/protocol';
import { COMMANDS } from '../command-ids';
import type { Ctx } from '../ctx';
import { outcomeMessage } from '../results/outcome-text';
import { reportArgsOf } from '../results/report-args';

export function showOutcome(ctx: Ctx, outcomes: readonly AuditOutcome[]): void {
  const message = outcomeMessage(outcomes);
  const openReport = 'Open report';
  const showLog = 'Show log';
  const actions = [...(message.hasReport ? [openReport] : []), ...(message.level !== 'info' ? [showLog] : [])];
  const show = message.level === 'error' ? vscode.window.showErrorMessage : message.level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(message.text, ...actions).then((choice) => {
    if (choice === showLog) ctx.log.show();
    if (choice !== openReport) return;
    const withResult = outcomes.flatMap((o) => o.summaries).find((s) => s.auc !== undefined);
    if (withResult) void vscode.commands.executeCommand(COMMANDS.openReport, reportArgsOf(withResult));
  });
}

/** An engine request failed outright (not an audit problem: those come back in the outcome). */
export function showRequestError(ctx: Ctx, what: string, error: unknown): void {
  const text = error instanceof Error ? error.message : String(error);
  ctx.log.error(`${what} failed: ${text}`);
  const showLog = 'Show log';
  void vscode.window.showErrorMessage(`${what} failed: ${text}`, showLog).then((choice) => {
    if (choice === showLog) ctx.log.show();
  });
}
