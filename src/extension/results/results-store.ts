/**
 * The audit summaries the engine last announced (ResultsChangedNotification carries all
 * of them). Views read from here and redraw on change.
 */
import * as vscode from 'vscode';
import type { AuditSummary } from '../../shared/protocol';
import { pathKey } from '../paths';

export class ResultsStore implements vscode.Disposable {
  private summaries: AuditSummary[] = [];
  private readonly changed = new vscode.EventEmitter<readonly AuditSummary[]>();
  readonly onDidChange = this.changed.event;

  all(): readonly AuditSummary[] {
    return this.summaries;
  }

  replace(summaries: readonly AuditSummary[]): void {
    this.summaries = [...summaries];
    this.changed.fire(this.summaries);
  }

  /** The summary of one audit of a manifest. */
  forManifestAudit(manifest: string, audit: string): AuditSummary | undefined {
    const key = pathKey(manifest);
    return this.summaries.find((s) => s.audit === audit && s.manifest !== undefined && pathKey(s.manifest) === key);
  }

  /** Summaries of a model audited without a manifest. */
  forModel(model: string): AuditSummary[] {
    const key = pathKey(model);
    return this.summaries.filter((s) => s.manifest === undefined && s.model !== '' && pathKey(s.model) === key);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
