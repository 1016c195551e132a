/**
 * Which ReportRequest key holds an audit's report. The server files results under the
 * manifest's path, or, for a model audited without a manifest, under the folder the
 * manifest was proposed for; a summary does not carry that key, so the client remembers
 * it from each AuditOutcome and otherwise falls back to the server's own rule (the
 * workspace folder that contains the model). Pure.
 */
import type { AuditOutcome, AuditSummary } from '../../shared/protocol';
import { isInside, pathKey } from '../paths';

export class ReportKeys {
  /** "<model pathKey>\n<audit>" -> reportKey, learned from outcomes. */
  private readonly learned = new Map<string, string>();

  remember(outcome: AuditOutcome): void {
    for (const s of outcome.summaries) this.learned.set(keyOf(s), outcome.reportKey);
  }

  keyFor(summary: AuditSummary, workspaceFolders: readonly string[]): string | undefined {
    if (summary.manifest !== undefined) return summary.manifest;
    const known = this.learned.get(keyOf(summary));
    if (known !== undefined) return known;
    return workspaceFolders.find((f) => summary.model !== '' && isInside(summary.model, f));
  }
}

function keyOf(summary: AuditSummary): string {
  return `${pathKey(summary.model)}\n${summary.audit}`;
}
