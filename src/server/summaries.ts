/** One line per audit for the extension's status item, tree and CodeLens. */
import * as path from 'node:path';
import type { AuditReport } from '../engine/report/schema';
import type { AuditSummary } from '../shared/protocol';
import { SEVERITY_ORDER, type Severity } from '../shared/rules';

export interface SummaryContext {
  /** Where the report is filed (ReportRequest's key), copied into every summary. */
  reportKey: string;
  staleAudits: ReadonlySet<string>;
  /** The manifest's absolute path; undefined for a proposed manifest. */
  manifest?: string | undefined;
  /** The model of an audit that stopped before producing a result (from the manifest). */
  modelOf?: (audit: string) => string | undefined;
}

/** Summaries of every audit that has a result or findings in the report, in report order. */
export function summarize(report: AuditReport, context: SummaryContext): AuditSummary[] {
  const { reportKey, staleAudits, manifest, modelOf = () => undefined } = context;
  const names = [...new Set([...report.audits.map((a) => a.name), ...report.findings.flatMap((f) => (f.audit !== undefined ? [f.audit] : []))])];
  return names.map((name) => {
    const result = report.audits.find((a) => a.name === name);
    const findings = report.findings.filter((f) => f.audit === name);
    const summary: AuditSummary = {
      reportKey,
      audit: name,
      model: result ? path.resolve(report.root, result.model) : modelOf(name) ?? '',
      findings: findings.length,
      stale: staleAudits.has(name),
    };
    if (manifest !== undefined) summary.manifest = manifest;
    if (result?.preliminary) summary.preliminary = true;
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
