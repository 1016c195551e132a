/** Registers every command of package.json's contributes.commands (ids in command-ids.ts). */
import * as vscode from 'vscode';
import { CancelAllNotification } from '../../shared/protocol';
import { COMMANDS } from '../command-ids';
import type { Ctx } from '../ctx';
import type { FindingsTreeProvider } from '../tree/tree-provider';
import { explainRestricted, isTrusted } from '../trust';
import { auditCommand } from './audit';
import { createManifestCommand } from './create-manifest';
import { ReportOpener } from './open-report';
import { sweepCommand } from './sweep';

export function registerCommands(ctx: Ctx, tree: FindingsTreeProvider): vscode.Disposable[] {
  const reports = new ReportOpener(ctx);
  const register = (id: string, handler: (...args: unknown[]) => unknown) => vscode.commands.registerCommand(id, handler);
  return [
    reports,
    register(COMMANDS.audit, (...args) => auditCommand(ctx, ...args)),
    register(COMMANDS.sweep, () => sweepCommand(ctx)),
    register(COMMANDS.openReport, (...args) => reports.command(...args)),
    register(COMMANDS.createManifest, (...args) => createManifestCommand(ctx, ...args)),
    register(COMMANDS.cancel, () => cancel(ctx)),
    register(COMMANDS.restartEngine, () => restart(ctx)),
    register(COMMANDS.showLog, () => ctx.log.show()),
    register(COMMANDS.refreshTree, async () => {
      await ctx.detector.rescan();
      tree.refresh();
    }),
  ];
}

/** Cancels our requests and, through the engine, any other audit in flight; resolves to how many of ours there were. */
function cancel(ctx: Ctx): number {
  const ours = ctx.runs.cancelAll();
  const client = ctx.client;
  if (client) void client.sendNotification(CancelAllNotification).catch(() => undefined);
  if (ours === 0 && !ctx.isAuditing) void vscode.window.showInformationMessage('No audit is running.');
  return ours;
}

async function restart(ctx: Ctx): Promise<string> {
  if (!isTrusted()) {
    explainRestricted('Restarting the audit engine');
    return ctx.lifecycle;
  }
  ctx.log.info('Restarting the engine (asked by the user).');
  await ctx.restart();
  return ctx.lifecycle;
}
