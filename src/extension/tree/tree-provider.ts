/**
 * The "Model Privacy" view: TreeItems for the nodes tree-model.ts builds. Redrawn when
 * detection, the engine's summaries or its diagnostics change.
 */
import * as vscode from 'vscode';
import type { Severity } from '../../shared/rules';
import type { Detector } from '../detection/detector';
import type { FindingsStore } from '../findings/findings-store';
import type { ResultsStore } from '../results/results-store';
import { buildTree, riskOf, type DiagnosticLevel, type FindingRecord, type TreeNode } from './tree-model';

export class FindingsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private roots: TreeNode[] | undefined;
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly detector: Detector,
    private readonly results: ResultsStore,
    private readonly findings: FindingsStore,
  ) {
    const redraw = () => this.refresh();
    this.disposables.push(detector.onDidChange(redraw), results.onDidChange(redraw), findings.onDidChange(redraw));
  }

  refresh(): void {
    this.roots = undefined;
    this.changed.fire(undefined);
  }

  /** The current top-level nodes (built on demand). */
  rootNodes(): TreeNode[] {
    this.roots ??= buildTree({
      snapshot: this.detector.snapshot(),
      summaries: this.results.all(),
      findings: this.findings.all().map(({ uri, diagnostic, ref }): FindingRecord => {
        const record: FindingRecord = {
          path: uri.fsPath,
          uri: uri.toString(),
          rule: ref.rule,
          message: diagnostic.message,
          level: diagnostic.severity as DiagnosticLevel,
          line: diagnostic.range.start.line,
          character: diagnostic.range.start.character,
        };
        if (ref.audit !== undefined) record.audit = ref.audit;
        if (ref.attack !== undefined) record.attack = ref.attack;
        return record;
      }),
      relative: (file) => vscode.workspace.asRelativePath(file, (vscode.workspace.workspaceFolders?.length ?? 0) > 1),
    });
    return this.roots;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.rootNodes();
    return node.kind === 'finding' ? [] : node.children;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const hasChildren = node.kind !== 'finding' && node.children.length > 0;
    const item = new vscode.TreeItem(
      node.label,
      node.kind === 'finding' ? vscode.TreeItemCollapsibleState.None
        : hasChildren ? (node.kind === 'manifest' || node.kind === 'group' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed)
          : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = node.description;
    switch (node.kind) {
      case 'manifest':
        item.resourceUri = vscode.Uri.parse(node.uri);
        item.iconPath = new vscode.ThemeIcon('checklist');
        item.contextValue = 'manifest';
        item.command = { title: 'Open', command: 'vscode.open', arguments: [item.resourceUri] };
        break;
      case 'audit':
        item.iconPath = node.summary ? riskIcon(riskOf(node), node.summary.stale) : new vscode.ThemeIcon('circle-large-outline');
        item.contextValue = node.summary ? 'audit.hasResult' : 'audit';
        item.tooltip = auditTooltip(node.name, node.description, node.summary?.bestAttack, node.summary?.stale);
        break;
      case 'model':
        item.resourceUri = vscode.Uri.parse(node.uri);
        item.iconPath = node.unsafe
          ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
          : node.summaries.length ? riskIcon(riskOf(node), node.summaries.some((s) => s.stale)) : new vscode.ThemeIcon('symbol-constant');
        item.contextValue = node.auditable ? (node.summaries.length ? 'model.auditable.hasResult' : 'model.auditable') : 'model';
        item.command = { title: 'Open', command: 'vscode.open', arguments: [item.resourceUri] };
        break;
      case 'group':
        item.iconPath = new vscode.ThemeIcon('folder');
        item.contextValue = 'group';
        break;
      case 'finding': {
        const f = node.finding;
        item.iconPath = levelIcon(f.level);
        item.contextValue = f.audit !== undefined ? 'finding.audit' : 'finding';
        item.tooltip = f.message;
        const position = new vscode.Position(f.line, f.character);
        item.command = {
          title: 'Go to finding',
          command: 'vscode.open',
          arguments: [vscode.Uri.parse(f.uri), { selection: new vscode.Range(position, position) } satisfies vscode.TextDocumentShowOptions],
        };
        break;
      }
    }
    return item;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

function riskIcon(severity: Severity | undefined, stale: boolean): vscode.ThemeIcon {
  if (stale) return new vscode.ThemeIcon('history', new vscode.ThemeColor('disabledForeground'));
  switch (severity) {
    case 'high':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'medium':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    case 'low':
    case 'info':
      return new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
    case undefined:
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
  }
}

function levelIcon(level: DiagnosticLevel): vscode.ThemeIcon {
  return level === 0 ? riskIcon('high', false) : level === 1 ? riskIcon('medium', false) : riskIcon('low', false);
}

function auditTooltip(name: string, description: string, bestAttack: string | undefined, stale: boolean | undefined): vscode.MarkdownString {
  const tip = new vscode.MarkdownString();
  tip.appendMarkdown('**').appendText(name).appendMarkdown('**\n\n').appendText(description);
  if (bestAttack) tip.appendMarkdown('\n\nStrongest attack: ').appendText(bestAttack);
  if (stale) tip.appendMarkdown('\n\n*Inputs changed since this audit; run it again.*');
  return tip;
}
