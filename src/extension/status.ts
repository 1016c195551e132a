/**
 * The status bar item: idle, auditing (spinner), last result, engine error, Restricted
 * Mode. Texts come from status-text.ts; this file only applies them.
 */
import * as vscode from 'vscode';
import { TREE_VIEW_ID } from './command-ids';
import type { Ctx } from './ctx';
import { statusView, TOOLTIP_COMMANDS } from './status-text';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('modelPrivacy.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.item.name = 'Model Privacy';
    // Clicking shows the findings; the tooltip's links do the rest.
    this.item.command = `${TREE_VIEW_ID}.focus`;
    this.subscription = ctx.onDidChange(() => this.update());
    this.update();
    this.item.show();
  }

  update(): void {
    const view = statusView(this.ctx.status);
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    tooltip.isTrusted = { enabledCommands: [...TOOLTIP_COMMANDS] };
    this.item.tooltip = tooltip;
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`) : undefined;
    this.item.accessibilityInformation = { label: `Model Privacy: ${view.text.replace(/\$\([^)]*\)\s*/g, '')}` };
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
