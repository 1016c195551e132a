/**
 * The verdict-basis line at the top of the report: a preliminary banner, or what the final
 * verdict rests on (texts in basis-text.ts).
 */
import type { AuditResult } from '../../src/engine/report/schema';
import { basisText, preliminaryText } from './basis-text';
import { el } from './dom';

/** The banner or line for the report's header; undefined for reports without a basis. */
export function basisElement(audit: AuditResult): HTMLElement | undefined {
  const preliminary = preliminaryText(audit);
  if (preliminary) return el('p', { className: 'note preliminary', id: 'verdict-basis', text: preliminary });
  const basis = basisText(audit);
  return basis ? el('p', { className: 'note', id: 'verdict-basis', text: basis }) : undefined;
}
