/**
 * What the shown verdict rests on: a preliminary result (threshold attacks only, the
 * shadow-model attacks still running or cancelled) says so at the top of the report, and
 * a final one names its attacks and reference models. Text builders are pure for tests.
 */
import type { AuditResult } from '../../src/engine/report/schema';
import { el } from './dom';

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

/** The banner or line for the report's header; undefined for reports without a basis. */
export function basisElement(audit: AuditResult): HTMLElement | undefined {
  const preliminary = preliminaryText(audit);
  if (preliminary) return el('p', { className: 'note preliminary', id: 'verdict-basis', text: preliminary });
  const basis = basisText(audit);
  return basis ? el('p', { className: 'note', id: 'verdict-basis', text: basis }) : undefined;
}
