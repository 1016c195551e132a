/** One line per audit for the extension's status item, tree and CodeLens. */
import * as path from 'node:path';
import type { AuditReport } from '../engine/report/schema';
import type { AuditSummary } from '../shared/protocol';
import { SEVERITY_ORDER, type Severity } from '../shared/rules';

/**
 * Summaries of every audit that has a result or findings in the report, in report order.
 * `manifest` is the manifest's absolute path (absent for a proposed manifest).
 */
export function summarize(
  report: AuditReport,
  staleAudits: ReadonlySet<string>,
  manifest?: string,
  /** The model of an audit that stopped before producing a result (from the manifest). */
  modelOf: (audit: string) => string | undefined = () => undefined,
): AuditSummary[] {
  const names = [...new Set([...report.audits.map((a) => a.name), ...report.findings.flatMap((f) => (f.audit !== undefined ? [f.audit] : []))])];
  return names.map((name) => {
    const result = report.audits.find((a) => a.name === name);
    const findings = report.findings.filter((f) => f.audit === name);
    const summary: AuditSummary = {
      audit: name,
      model: result ? path.resolve(report.root, result.model) : modelOf(name) ?? '',
      findings: findings.length,
      stale: staleAudits.has(name),
    };
    if (manifest !== undefined) summary.manifest = manifest;
    const attacks = result?.attacks ?? [];
    if (attacks.length) {
      const best = attacks.reduce((a, b) => (b.metrics.auc > a.metrics.auc ? b : a));
      summary.bestAttack = best.id;
      summary.auc = best.metrics.auc;
      summary.tprAt01pctFpr = best.metrics.tprAtFpr['0.001'].tpr;
    }
    const severity = findings.reduce<Severity | undefined>(
      (worst, f) => (worst === undefined || SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[worst] ? f.severity : worst),
      undefined,
    );
    if (severity !== undefined) summary.severity = severity;
    return summary;
  });
}
