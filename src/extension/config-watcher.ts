/**
 * Reacts to settings changes: the exclude globs re-run detection at once; the running
 * engine gets the new policy, sweep attacks and exclude at once; backend and workers
 * need a new engine process, which is offered rather than forced because it cancels
 * running audits.
 */
import * as vscode from 'vscode';
import { COMMANDS } from './command-ids';
import type { Ctx } from './ctx';
import { SECTION, SETTINGS, settingsChangeEffect } from './engine-settings';

export function watchConfiguration(ctx: Ctx): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(`${SECTION}.${SETTINGS.exclude}`) || e.affectsConfiguration('files.exclude')) void ctx.detector.rescan();
    if (ctx.lifecycle !== 'running') return;
    const effect = settingsChangeEffect((section) => e.affectsConfiguration(section));
    if (effect.send) void ctx.sendSettings();
    if (!effect.restart) return;
    const restart = 'Restart engine';
    const running = ctx.isAuditing ? ' Running audits will be cancelled.' : '';
    void vscode.window.showInformationMessage(`The audit engine's backend or worker count changed; it applies them after a restart.${running}`, restart).then((choice) => {
      if (choice === restart) void vscode.commands.executeCommand(COMMANDS.restartEngine);
    });
  });
}
