/**
 * Findings about what the verdict rests on: a verdict from threshold attacks alone (or a
 * preliminary one, while the reference-model attacks still run), and reference models
 * that fit the data differently from the target.
 */
import { RULES } from '../../shared/rules';
import type { AuditSpec } from '../manifest';
import type { AuditResult, Finding } from '../report/schema';
import { locate, pct, type FindingContext } from './findings';

export function basisFindings(result: AuditResult, spec: AuditSpec, ctx: FindingContext): Finding[] {
  const findings: Finding[] = [];
  const at = (...rest: (string | number)[]) => ['audits', spec.index, ...rest];
  const basis = result.basis;
  if (basis?.pending) {
    findings.push({
      rule: 'threshold-only-audit',
      severity: 'info',
      audit: spec.name,
      message: `Preliminary: this verdict rests on threshold attacks only (${basis.attacks.length} of them); ${basis.pending.join(', ')} still running and will replace it.`,
      location: locate(ctx, spec, [{ path: at('attacks'), part: 'key' }, { path: at('name'), part: 'value' }]),
      related: [],
      data: { pending: basis.pending.length },
    });
  } else if (basis?.thresholdOnly) {
    const how = {
      'no-population': 'Add "population" data (records from the same distribution that are neither members nor non-members): the default attacks then train reference models and run RMIA and LiRA.',
      'not-requested': 'Add "rmia" and "lira-offline-fixed" to "attacks" (or remove "attacks" for the defaults, which include them when "population" is given).',
      failed: 'The reference-model attacks failed (their errors are listed with this audit); fix what they name and re-run.',
    }[basis.reason ?? 'not-requested'];
    findings.push({
      rule: 'threshold-only-audit',
      severity: RULES['threshold-only-audit'].defaultSeverity,
      audit: spec.name,
      message: `This verdict rests on threshold attacks alone (${basis.attacks.join(', ') || 'none ran'}), which are near chance at low FPR: no membership-risk finding here does not show that the model does not leak. ${how}`,
      location: locate(ctx, spec, basis.reason === 'no-population'
        ? [{ path: at('nonMembers'), part: 'key' }, { path: at('model'), part: 'key' }]
        : [{ path: at('attacks'), part: 'key' }, { path: at('model'), part: 'key' }]),
      related: [],
      data: { attacks: basis.attacks.length },
    });
  }
  const q = result.shadowQuality;
  if (q?.mismatch) {
    const gap = (train: number, test: number) => `train ${pct(train)}, test ${pct(test)}, gap ${((train - test) * 100).toFixed(1)} points`;
    findings.push({
      rule: 'shadow-quality',
      severity: RULES['shadow-quality'].defaultSeverity,
      audit: spec.name,
      message: `The ${q.shadows} reference models fit differently from the target (reference models: ${gap(q.shadowTrainAccuracy, q.shadowTestAccuracy)}; target: ${gap(q.targetTrainAccuracy, q.targetTestAccuracy)}), so the reference-model attacks are likely understated. Match the target's training in "shadow" (epochs, learningRate, batchSize, trainSize).`,
      location: locate(ctx, spec, [{ path: at('shadow'), part: 'key' }, { path: at('model'), part: 'key' }]),
      related: [],
      data: {
        shadowTrainAccuracy: q.shadowTrainAccuracy, shadowTestAccuracy: q.shadowTestAccuracy,
        targetTrainAccuracy: q.targetTrainAccuracy, targetTestAccuracy: q.targetTestAccuracy,
      },
    });
  }
  return findings;
}
