/**
 * What a verdict rests on: which attacks produced results, whether any of them used
 * reference (shadow) models, and if none did, why. Threshold attacks are near chance at
 * low FPR (Carlini et al.), so a verdict from them alone must say so.
 */
import { needsShadowModels } from '../attacks/catalog';
import type { AuditSpec } from '../manifest';
import type { AttackResult, VerdictBasis } from '../report/schema';

export function verdictBasis(
  spec: AuditSpec,
  attacks: readonly AttackResult[],
  extra: { pending?: readonly string[]; errors?: readonly { attack: string }[] },
): VerdictBasis {
  const ran = attacks.map((a) => a.id);
  const referenceAttacks = ran.filter(needsShadowModels);
  const basis: VerdictBasis = { attacks: ran, referenceAttacks, thresholdOnly: referenceAttacks.length === 0 };
  if (referenceAttacks.length > 0) basis.referenceModels = spec.shadow.count;
  if (extra.pending && extra.pending.length > 0) basis.pending = [...extra.pending];
  if (basis.thresholdOnly && !basis.pending) {
    const failed = (extra.errors ?? []).map((e) => e.attack).filter(needsShadowModels);
    basis.reason = spec.population === undefined ? 'no-population' : failed.length > 0 ? 'failed' : 'not-requested';
  }
  return basis;
}
