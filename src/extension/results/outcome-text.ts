/** The message shown when an audit or sweep finishes. Pure. */
import type { AuditOutcome } from '../../shared/protocol';
import { outcomeLine } from './summary-format';

export interface OutcomeMessage {
  level: 'error' | 'warning' | 'info';
  text: string;
  /** Offer "Open report": some audit produced an attack result. */
  hasReport: boolean;
}

/** Long lists of errors are cut here; the log and the Problems panel have all of them. */
const MAX_LISTED = 3;

export function outcomeMessage(outcomes: readonly AuditOutcome[]): OutcomeMessage {
  const summaries = outcomes.flatMap((o) => o.summaries);
  const errors = outcomes.flatMap((o) => o.errors);
  const cancelled = outcomes.some((o) => o.cancelled);
  const cached = outcomes.reduce((n, o) => n + o.fromCache.length, 0);
  const hasReport = summaries.some((s) => s.auc !== undefined);
  const parts: string[] = [];
  if (cancelled) parts.push('Audit cancelled; audits that had finished keep their results.');
  if (summaries.length) {
    const listed = summaries.slice(0, MAX_LISTED).map(outcomeLine);
    if (summaries.length > MAX_LISTED) listed.push(`and ${summaries.length - MAX_LISTED} more`);
    parts.push(listed.join('; ') + (cached ? ` (${cached} unchanged, from the cache)` : ''));
  }
  if (errors.length) {
    const listed = errors.slice(0, MAX_LISTED);
    if (errors.length > MAX_LISTED) listed.push(`and ${errors.length - MAX_LISTED} more problems (see the Problems panel)`);
    parts.push(listed.join(' '));
  }
  if (parts.length === 0) parts.push('Nothing to audit: no audit matched.');
  const level = errors.length && !summaries.length ? 'error' : errors.length ? 'warning' : 'info';
  return { level, text: parts.join(' '), hasReport };
}
