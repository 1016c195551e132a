/**
 * How one audit's result reads in the tree, CodeLens, status item and messages. Pure,
 * so every surface says the same thing and the wording is unit-tested.
 */
import type { AuditSummary } from '../../shared/protocol';
import type { Severity } from '../../shared/rules';

/** A rate as a percentage with enough digits to tell 0.05% from 0.15%. */
export function formatPercent(rate: number): string {
  if (!Number.isFinite(rate)) return '–';
  const pct = rate * 100;
  if (pct === 0) return '0%';
  if (Math.abs(pct) >= 10) return `${trimZeros(pct.toFixed(1))}%`;
  if (Math.abs(pct) >= 0.01) return `${trimZeros(pct.toFixed(2))}%`;
  return `${Number(pct.toPrecision(1))}%`;
}

/** "0.150" -> "0.15", "25.0" -> "25"; keeps at least one significant digit. */
function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

export function formatAuc(auc: number, digits: number): string {
  return Number.isFinite(auc) ? auc.toFixed(digits) : '–';
}

/** Tree descriptions are narrow: "AUC 0.61 · TPR@0.1% 0.15%". */
export function shortMetrics(summary: AuditSummary): string | undefined {
  if (summary.auc === undefined) return undefined;
  const tpr = summary.tprAt01pctFpr !== undefined ? ` · TPR@0.1% ${formatPercent(summary.tprAt01pctFpr)}` : '';
  return `AUC ${formatAuc(summary.auc, 2)}${tpr}`;
}

/** CodeLens and messages have room: "AUC 0.611 · TPR@0.1% FPR 0.15%". */
export function longMetrics(summary: AuditSummary): string | undefined {
  if (summary.auc === undefined) return undefined;
  const tpr = summary.tprAt01pctFpr !== undefined ? ` · TPR@0.1% FPR ${formatPercent(summary.tprAt01pctFpr)}` : '';
  return `AUC ${formatAuc(summary.auc, 3)}${tpr}`;
}

export const NOT_AUDITED = 'not audited yet';

export function severityLabel(severity: Severity | undefined): string {
  return severity === undefined ? 'no findings' : `${severity} risk`;
}

export function findingsLabel(count: number): string {
  return `${count} finding${count === 1 ? '' : 's'}`;
}

/** How a preliminary result is marked wherever it shows: threshold attacks only, the shadow-model attacks decide. */
export const PRELIMINARY = 'preliminary';

/** One line for a finished audit: "fashion-mnist-mlp: AUC 0.611 · TPR@0.1% FPR 0.05% · 3 findings (stale)". */
export function outcomeLine(summary: AuditSummary): string {
  const parts = [longMetrics(summary) ?? 'no attack result', findingsLabel(summary.findings)];
  const marks = [...(summary.preliminary ? [PRELIMINARY] : []), ...(summary.stale ? ['stale'] : [])];
  return `${summary.audit}: ${parts.join(' · ')}${marks.length ? ` (${marks.join(', ')})` : ''}`;
}
