/**
 * The CSV and JSON exports of one audit: every attack's ROC points and metrics. Built
 * here as text; the host writes the file (a webview cannot). DOM-free for unit tests.
 */
import type { AttackResult, AuditReport, AuditResult } from '../../src/engine/report/schema';
import type { OperatingPoint } from '../../src/engine/metrics/types';
import { REPORTED_FPR_KEYS } from './reported-fprs';

/**
 * One tidy table, one row per point: `kind` is "roc" for a curve point or "tpr_at_fpr"
 * for a tabulated operating point; the attack-level metrics repeat on every row so any
 * filter of the rows still carries them.
 */
export const CSV_HEADER = [
  'audit',
  'attack',
  'auc',
  'advantage',
  'ppv',
  'members',
  'non_members',
  'kind',
  'target_fpr',
  'fpr',
  'tpr',
  'tpr_ci_lower',
  'tpr_ci_upper',
  'threshold',
  'measurable',
] as const;

type Cell = string | number | boolean | null | undefined;

/** Numbers at full precision; missing values (null after JSON) as empty cells. */
function numberCell(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '';
  return String(value);
}

/**
 * RFC 4180 quoting, plus a leading apostrophe on text that a spreadsheet would run as a
 * formula: attack and audit names come from a workspace manifest, which may be hostile.
 */
export function csvCell(value: Cell): string {
  if (typeof value === 'number') return numberCell(value);
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function attackCells(audit: AuditResult, attack: AttackResult): Cell[] {
  const m = attack.metrics;
  return [audit.name, attack.id, m.auc, m.advantage, m.ppv, m.members, m.nonMembers];
}

function operatingPointCells(key: string, p: OperatingPoint): Cell[] {
  return ['tpr_at_fpr', Number(key), p.fpr, p.tpr, p.tprInterval?.lower, p.tprInterval?.upper, p.threshold, p.measurable];
}

export function auditCsv(audit: AuditResult): string {
  const rows: Cell[][] = [[...CSV_HEADER]];
  for (const attack of audit.attacks) {
    const head = attackCells(audit, attack);
    for (const [fpr, tpr] of attack.metrics.roc) rows.push([...head, 'roc', null, fpr, tpr, null, null, null, null]);
    for (const key of REPORTED_FPR_KEYS) {
      const point = attack.metrics.tprAtFpr?.[key];
      if (point) rows.push([...head, ...operatingPointCells(key, point)]);
    }
  }
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** The same content as structured JSON, with the report's provenance. */
export function auditJson(report: AuditReport, audit: AuditResult): string {
  const content = {
    schemaVersion: report.schemaVersion,
    tool: report.tool,
    createdAt: report.createdAt,
    backend: report.backend,
    audit: audit.name,
    model: audit.model,
    members: audit.members.count,
    nonMembers: audit.nonMembers.count,
    accuracy: audit.accuracy,
    attacks: audit.attacks.map((a) => ({
      id: a.id,
      family: a.family,
      title: a.title,
      metrics: a.metrics,
      ...(a.calibratedPoints ? { calibratedPoints: a.calibratedPoints } : {}),
      ...(a.epsilonLowerBound ? { epsilonLowerBound: a.epsilonLowerBound } : {}),
    })),
    errors: audit.errors,
    // The trade-off as the engine reported it: every evaluation, the Pareto flags and the recommendation.
    ...(audit.defenses ? { defenses: audit.defenses } : {}),
  };
  return JSON.stringify(content, null, 2) + '\n';
}

/** "privacy-<audit>-<what>", reduced to safe file-name characters (the host checks again). */
export function exportFileName(auditName: string, what: string): string {
  const slug = `${auditName}-${what}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return `privacy-${slug || 'report'}`;
}
