/** One wording, for the text and HTML reports, of what a verdict rests on and how the reference models fit. */
import { percent } from './format';
import type { AuditResult } from './schema';

export function verdictBasisText(audit: AuditResult): string | undefined {
  const b = audit.basis;
  if (!b) return undefined;
  const rests = b.thresholdOnly
    ? `threshold attacks only (${b.attacks.length}), which are weak at low FPR${b.pending ? `; still running: ${b.pending.join(', ')}` : ''}`
    : `${b.referenceAttacks.join(', ')} on ${b.referenceModels} reference models, and ${b.attacks.length - b.referenceAttacks.length} other attacks`;
  return `${audit.preliminary ? 'PRELIMINARY: ' : ''}${rests}`;
}

export function shadowQualityText(audit: AuditResult): string | undefined {
  const q = audit.shadowQuality;
  if (!q) return undefined;
  return `train ${percent(q.shadowTrainAccuracy, 1)}, test ${percent(q.shadowTestAccuracy, 1)} (target: ${percent(q.targetTrainAccuracy, 1)}, ${percent(q.targetTestAccuracy, 1)})${q.mismatch ? '; they fit differently from the target, so the attacks are likely understated' : ''}`;
}
