/**
 * Which of an audit's attacks can run on its data, decided before anything is trained:
 * an attack that cannot run is recorded with the reason (and the others run), instead of
 * failing after minutes of shadow training or stopping the whole audit.
 */
import { parseThresholdAttack } from '../attacks/catalog';
import type { AuditSpec } from '../manifest';

export interface Inapplicable {
  attack: string;
  reason: string;
}

/** Graph models are black boxes: no layers and weights to take gradients through. */
const BLACK_BOX_FORMATS = new Set(['tfjs-graph']);

export function inapplicableAttacks(spec: AuditSpec, model: { format: string }): Inapplicable[] {
  const out: Inapplicable[] = [];
  for (const attack of spec.attacks) {
    if (!spec.population && (attack === 'rmia' || parseThresholdAttack(attack)?.variant === 'population')) {
      out.push({ attack, reason: 'needs "population" data (records from the same distribution, neither members nor non-members), and this audit has none' });
    } else if (attack === 'white-box-gradient-norm' && BLACK_BOX_FORMATS.has(model.format)) {
      out.push({ attack, reason: `needs the model's layers and weights; a ${model.format} model is audited as a black box` });
    }
  }
  return out;
}
