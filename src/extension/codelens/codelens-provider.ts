/** CodeLens over each audit of an open privacy-audit.json (see audit-lenses.ts). */
import * as vscode from 'vscode';
import { outlineManifest } from '../detection/manifest-outline';
import type { ResultsStore } from '../results/results-store';
import { auditLenses } from './audit-lenses';

export class AuditCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly results: ResultsStore) {
    this.subscription = results.onDidChange(() => this.changed.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const manifest = document.uri.fsPath;
    return auditLenses(manifest, outlineManifest(document.getText()), (audit) => this.results.forManifestAudit(manifest, audit)).map((spec) => {
      const range = new vscode.Range(document.positionAt(spec.offset), document.positionAt(spec.offset + spec.length));
      return new vscode.CodeLens(range, { title: spec.title, command: spec.command, arguments: spec.args });
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
