/** Engine progress events -> the text and percentage of a work-done progress report. */
import type { AuditProgress } from '../engine/audit/progress';

/** Where the current audit sits in the whole request: audit i of n (0-based). */
export interface ProgressPosition {
  index: number;
  count: number;
}

export interface ProgressReport {
  message: string;
  percentage: number;
}

/**
 * "audit mnist: attack loss-threshold (3/8)", and the share of the request done. Once the
 * audit's preliminary verdict is shown: "audit mnist: preliminary: shadow models 3/8, ...".
 */
export function progressReport(p: AuditProgress, position: ProgressPosition, state: { preliminary?: boolean } = {}): ProgressReport {
  const withinAudit = p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : 0;
  return {
    message: `audit ${p.audit}: ${state.preliminary ? 'preliminary: ' : ''}${p.stage} (${p.done}/${p.total})`,
    percentage: share(position, withinAudit),
  };
}

/**
 * Percentage of a request made of `count` equal parts, `index` of them done and the
 * current one `fraction` done. Nested for a sweep: targets, then audits of a target.
 */
export function share(position: ProgressPosition, fraction: number): number {
  if (position.count <= 0) return 100;
  const value = (100 * (position.index + fraction)) / position.count;
  return Math.floor(Math.min(100, Math.max(0, value)));
}
