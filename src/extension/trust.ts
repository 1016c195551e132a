/**
 * Workspace Trust. Auditing loads the workspace's models and datasets and runs them, so
 * in Restricted Mode the engine starts untrusted (static scans and manifest checks only;
 * it refuses audits) and every command that would audit is refused. Each one says
 * so here, in code: a `when` clause alone would leave the palette and other extensions'
 * executeCommand calls unexplained.
 */
import * as vscode from 'vscode';
import { MANAGE_TRUST_COMMAND } from './command-ids';

export const RESTRICTED_REASON = 'auditing loads and runs the workspace\'s models, so it is off in Restricted Mode';

export function isTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

/** A command refused in Restricted Mode, and what the user was told. */
export interface RestrictedNotice {
  what: string;
  message: string;
}

let lastNotice: RestrictedNotice | undefined;

/** The last refusal, for the extension's API: a notification cannot be read back. */
export function lastRestrictedNotice(): RestrictedNotice | undefined {
  return lastNotice;
}

/** Explains why `what` cannot run (e.g. "Auditing membership risk"), with a way to trust the workspace. */
export function explainRestricted(what: string): void {
  const action = 'Manage Workspace Trust';
  const message = `${what} is not available: ${RESTRICTED_REASON}. Trust this workspace to enable it.`;
  lastNotice = { what, message };
  void vscode.window.showWarningMessage(message, action).then((choice) => {
    if (choice === action) void vscode.commands.executeCommand(MANAGE_TRUST_COMMAND);
  });
}
