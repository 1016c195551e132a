/**
 * The CodeLenses above each audit of a manifest: its last result (or "not audited yet"),
 * "Run audit" and, once there is a result, "Open report". Pure: positions are offsets of
 * the audit's "name" key; the provider turns them into ranges of the open document.
 */
import type { AuditSummary } from '../../shared/protocol';
import { COMMANDS } from '../command-ids';
import type { ManifestOutline } from '../detection/manifest-outline';
import { longMetrics, NOT_AUDITED, PRELIMINARY } from '../results/summary-format';

/** What commands receive from a lens (and from code actions): plain, JSON-safe data. */
export interface AuditTargetArgs {
  /** Absolute path of a manifest, model or folder. */
  target: string;
  audit?: string;
}

export interface ReportArgs {
  reportKey: string;
  audit?: string;
}

export interface LensSpec {
  offset: number;
  length: number;
  title: string;
  /** Empty: a label that runs nothing. */
  command: string;
  args: unknown[];
}

export function auditLenses(manifestPath: string, outline: ManifestOutline, summaryOf: (audit: string) => AuditSummary | undefined): LensSpec[] {
  return outline.audits.flatMap((audit) => {
    const at = { offset: audit.nameOffset, length: audit.nameLength };
    const summary = summaryOf(audit.name);
    const run: AuditTargetArgs = { target: manifestPath, audit: audit.name };
    const lenses: LensSpec[] = [
      { ...at, title: resultTitle(summary), command: '', args: [] },
      { ...at, title: 'Run audit', command: COMMANDS.audit, args: [run] },
    ];
    if (summary?.auc !== undefined) {
      const report: ReportArgs = { reportKey: summary.reportKey, audit: audit.name };
      lenses.push({ ...at, title: 'Open report', command: COMMANDS.openReport, args: [report] });
    }
    return lenses;
  });
}

function resultTitle(summary: AuditSummary | undefined): string {
  if (!summary) return NOT_AUDITED;
  const metrics = (longMetrics(summary) ?? 'no result') + (summary.preliminary ? ` (${PRELIMINARY}: threshold attacks only)` : '');
  return summary.stale ? `${metrics} (stale: inputs changed)` : metrics;
}
