/**
 * What an audit command was invoked on. Commands arrive from the explorer (a Uri, plus
 * the multi-selection), the tree (a node), CodeLens and code actions (AuditTargetArgs),
 * or the palette (nothing: the active editor, else a quick pick of what was detected).
 */
import * as vscode from 'vscode';
import type { AuditTargetArgs } from '../codelens/audit-lenses';
import { classify } from '../detection/classify';
import { coveredModelKeys, type DetectionSnapshot } from '../detection/detected';
import { pathKey } from '../paths';
import type { TreeNode } from '../tree/tree-model';

export function isTreeNode(value: unknown): value is TreeNode {
  return typeof value === 'object' && value !== null && 'kind' in value && 'id' in value && typeof (value as { id: unknown }).id === 'string';
}

function isTargetArgs(value: unknown): value is AuditTargetArgs {
  return typeof value === 'object' && value !== null && typeof (value as { target?: unknown }).target === 'string';
}

/** Targets named by the arguments, or undefined when none were given. */
export function targetsFromArgs(args: readonly unknown[]): AuditTargetArgs[] | undefined {
  const [first, second] = args;
  if (first instanceof vscode.Uri) {
    const selected = Array.isArray(second) ? second.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
    const uris = selected.length > 1 ? selected : [first];
    return uris.map((u) => ({ target: u.fsPath }));
  }
  if (isTreeNode(first)) {
    switch (first.kind) {
      case 'manifest':
        return [{ target: first.path }];
      case 'audit':
        return [{ target: first.manifest, audit: first.name }];
      case 'model':
        return [{ target: first.path }];
      case 'finding':
        return first.finding.audit !== undefined ? [{ target: first.finding.path, audit: first.finding.audit }] : [{ target: first.finding.path }];
      case 'group':
        return undefined;
    }
  }
  if (isTargetArgs(first)) return [first.audit !== undefined ? { target: first.target, audit: first.audit } : { target: first.target }];
  if (typeof first === 'string' && first !== '') return [{ target: first }];
  return undefined;
}

/** The active editor's manifest or detected auditable model. */
export function activeEditorTarget(snapshot: DetectionSnapshot): AuditTargetArgs | undefined {
  const document = vscode.window.activeTextEditor?.document;
  if (!document || document.uri.scheme !== 'file') return undefined;
  const key = pathKey(document.uri.fsPath);
  const known = snapshot.manifests.some((m) => pathKey(m.path) === key) || snapshot.models.some((m) => m.auditable && pathKey(m.path) === key);
  return known || classify(document.uri.fsPath)?.kind === 'manifest' ? { target: document.uri.fsPath } : undefined;
}

interface TargetItem extends vscode.QuickPickItem {
  target: string;
}

/** Asks which detected manifest or model to audit. */
export async function pickTarget(snapshot: DetectionSnapshot, title: string): Promise<AuditTargetArgs | undefined> {
  const covered = coveredModelKeys(snapshot.manifests);
  const items: TargetItem[] = [
    ...snapshot.manifests.map((m) => ({
      label: `$(checklist) ${vscode.workspace.asRelativePath(m.path)}`,
      description: `manifest · ${m.outline.audits.length} audit${m.outline.audits.length === 1 ? '' : 's'}`,
      target: m.path,
    })),
    ...snapshot.models
      .filter((m) => m.auditable && !covered.has(pathKey(m.path)))
      .map((m) => ({ label: `$(symbol-constant) ${vscode.workspace.asRelativePath(m.path)}`, description: 'model without a manifest', target: m.path })),
  ];
  if (items.length === 0) return undefined;
  if (items.length === 1) return { target: items[0]!.target };
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Which manifest or model?', matchOnDescription: true });
  return picked ? { target: picked.target } : undefined;
}
