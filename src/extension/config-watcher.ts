/**
 * Reacts to settings changes: the exclude globs re-run detection at once; settings the
 * engine reads at start (backend, workers, policy, sweep attacks, exclude) need a
 * restart, which is offered rather than forced because it cancels running audits.
 */
import * as vscode from 'vscode';
import { COMMANDS } from './command-ids';
import type { Ctx } from './ctx';
import { ENGINE_SECTIONS, SECTION, SETTINGS } from './engine-settings';

export function watchConfiguration(ctx: Ctx): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(`${SECTION}.${SETTINGS.exclude}`) || e.affectsConfiguration('files.exclude')) void ctx.detector.rescan();
    if (ctx.lifecycle !== 'running' || !ENGINE_SECTIONS.some((s) => e.affectsConfiguration(s))) return;
    const restart = 'Restart engine';
    const running = ctx.isAuditing ? ' Running audits will be cancelled.' : '';
    void vscode.window.showInformationMessage(`Model Privacy settings changed; the audit engine applies them after a restart.${running}`, restart).then((choice) => {
      if (choice === restart) void vscode.commands.executeCommand(COMMANDS.restartEngine);
    });
  });
}
