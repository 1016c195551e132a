/**
 * What the shown verdict rests on, as text: a preliminary result (threshold attacks only,
 * the shadow-model attacks still running or cancelled) and a final one (its attacks and
 * reference models). Pure, without DOM, so unit tests run in Node.
 */
import type { AuditResult } from '../../src/engine/report/schema';

export function preliminaryText(audit: AuditResult): string | undefined {
  if (!audit.preliminary) return undefined;
  const pending = audit.basis?.pending ?? [];
  const waiting = pending.length ? ` (${pending.join(', ')})` : '';
  return `Preliminary: this verdict rests on the threshold attacks only. The shadow-model attacks${waiting} decide the final verdict; this report updates when they finish (a cancelled audit keeps this preliminary result until it is run again).`;
}

export function basisText(audit: AuditResult): string | undefined {
  const basis = audit.basis;
  if (!basis || audit.preliminary) return undefined;
  if (basis.thresholdOnly) return `Verdict from threshold attacks only (${basis.attacks.join(', ') || 'none ran'}), which are near chance at low FPR; see the threshold-only-audit finding.`;
  const models = basis.referenceModels !== undefined ? ` on ${basis.referenceModels} reference models` : '';
  return `Verdict from ${basis.attacks.length} attacks, ${basis.referenceAttacks.length} of them with reference models (${basis.referenceAttacks.join(', ')})${models}.`;
}
