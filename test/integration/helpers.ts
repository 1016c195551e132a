/** Waiting and locating helpers for tests inside the extension host. */
import { readdirSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ModelPrivacyApi } from '../../src/extension/api';

export const EXTENSION_ID = 'model-privacy-lint.model-privacy-lint';

/** Polls until `probe` returns something other than undefined/false, or fails with `what`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder (a copy of examples/fashion-mnist)');
  return folder.uri;
}

export function api(): ModelPrivacyApi {
  const extension = vscode.extensions.getExtension<ModelPrivacyApi>(EXTENSION_ID);
  if (!extension?.isActive) throw new Error(`${EXTENSION_ID} is not active`);
  return extension.exports;
}

export function ourDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'model-privacy');
}

export function codeOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (typeof code === 'object' && code !== null) return String(code.value);
  return code === undefined ? undefined : String(code);
}

/** The text a diagnostic covers, read from the document. */
export async function textAt(uri: vscode.Uri, range: vscode.Range): Promise<string> {
  const document = await vscode.workspace.openTextDocument(uri);
  return document.getText(range);
}

export function reportTabOpen(): boolean {
  return vscode.window.tabGroups.all.some((group) =>
    group.tabs.some((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('modelPrivacy.report')),
  );
}

/**
 * Process ids of the engine processes this extension host started (Linux: read from
 * /proc), so a test can kill one the way a crash would.
 */
export function engineProcessIds(): number[] {
  const ids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 is the parent pid; the command name (field 2) may contain spaces, so split after it.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) continue;
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (commandLine.some((arg) => arg.endsWith('/dist/server.js'))) ids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return ids;
}
