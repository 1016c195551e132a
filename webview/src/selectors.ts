/**
 * Pure queries over a report: which audit and attack to show, and which findings belong
 * to the audit on screen. DOM-free so unit tests run them in Node.
 */
import type { AttackResult, AuditReport, AuditResult, Finding } from '../../src/engine/report/schema';
import type { Severity } from '../../src/shared/rules';

/** The named audit, else the first; undefined only for a report without audits. */
export function pickAudit(report: AuditReport, name: string | undefined): AuditResult | undefined {
  return report.audits.find((a) => a.name === name) ?? report.audits[0];
}

/**
 * The named attack, else the strongest one: the highest TPR at 0.1% FPR (the low-FPR
 * regime is where membership inference matters), AUC breaking ties.
 */
export function pickAttack(audit: AuditResult, id: string | undefined): AttackResult | undefined {
  const named = audit.attacks.find((a) => a.id === id);
  if (named) return named;
  let best: AttackResult | undefined;
  for (const attack of audit.attacks) {
    if (!best || strength(attack) > strength(best) || (strength(attack) === strength(best) && (attack.metrics.auc ?? 0) > (best.metrics.auc ?? 0))) {
      best = attack;
    }
  }
  return best;
}

function strength(attack: AttackResult): number {
  const point = attack.metrics.tprAtFpr?.['0.001'];
  return point && point.measurable ? point.tpr : -1;
}

const SEVERITY_RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1, info: 0 };

/** Findings of this audit plus report-wide ones (no audit), most severe first, stable otherwise. */
export function findingsForAudit(report: AuditReport, auditName: string | undefined): Finding[] {
  return report.findings
    .filter((f) => f.audit === undefined || f.audit === auditName)
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (SEVERITY_RANK[b.f.severity] ?? 0) - (SEVERITY_RANK[a.f.severity] ?? 0) || a.i - b.i)
    .map(({ f }) => f);
}
