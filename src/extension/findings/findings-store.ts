/**
 * The diagnostics the engine published, captured in the language client's middleware as
 * they pass to the Problems panel. The findings tree reads this store, so the tree and
 * the Problems panel show the same data and never disagree (as SonarLint does it).
 */
import * as vscode from 'vscode';
import { findingRef, type FindingRef } from './finding-ref';

export interface StoredFinding {
  uri: vscode.Uri;
  diagnostic: vscode.Diagnostic;
  ref: FindingRef;
}

export class FindingsStore implements vscode.Disposable {
  private readonly byUri = new Map<string, StoredFinding[]>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  /** Called from the client's handleDiagnostics middleware: replaces what the file had. */
  set(uri: vscode.Uri, diagnostics: readonly vscode.Diagnostic[]): void {
    const findings = diagnostics.flatMap((diagnostic) => {
      const ref = findingRef(diagnostic as vscode.Diagnostic & { data?: unknown });
      return ref ? [{ uri, diagnostic, ref }] : [];
    });
    const key = uri.toString();
    if (findings.length === 0 && !this.byUri.has(key)) return;
    if (findings.length) this.byUri.set(key, findings);
    else this.byUri.delete(key);
    this.changed.fire();
  }

  /** The engine stopped: the client clears the Problems panel, and so do we. */
  clear(): void {
    if (this.byUri.size === 0) return;
    this.byUri.clear();
    this.changed.fire();
  }

  all(): StoredFinding[] {
    return [...this.byUri.values()].flat();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
