import { escapeJsonText, excerpt, MAX_REPORTED_CHARS } from './escape';
import type { AuditReport } from './schema';

/**
 * The report as pretty-printed JSON, the format every other surface reads back.
 * JSON has no NaN or Infinity: they are written as null (e.g. a per-class AUC with an
 * empty side, or the +Infinity first ROC threshold), so readers must treat null as
 * "not a number". schemaVersion is written first so a reader can check it before
 * trusting the rest.
 */
export function toJson(report: AuditReport): string {
  const { schemaVersion, ...rest } = report;
  // JSON.stringify escapes C0 controls; escapeJsonText the rest, so the value is unchanged but safe to print.
  return `${escapeJsonText(JSON.stringify({ schemaVersion, ...rest }, nonFiniteAsNull, 2))}\n`;
}

function nonFiniteAsNull(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.length > MAX_REPORTED_CHARS) return excerpt(value);
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
