/** Plain-text rendering of one metrics object for `privacy-lint evaluate --format text`. */
import { REPORTED_FPRS, type AttackMetrics } from '../engine/metrics/types';

export function metricsToText(m: AttackMetrics): string {
  const pct = (x: number) => `${(x * 100).toFixed(3)}%`;
  const lines = [
    `records      ${m.members} members, ${m.nonMembers} non-members`,
    `AUC          ${m.auc.toFixed(4)}`,
    `advantage    ${m.advantage.toFixed(4)}   (max |TPR - FPR|)`,
    `PPV          ${m.ppv.toFixed(4)}   (at the advantage threshold)`,
    '',
    'target FPR   TPR        95% CI                    FPR        note',
  ];
  for (const key of REPORTED_FPRS) {
    const p = m.tprAtFpr[key];
    lines.push(
      `${pct(Number(key)).padEnd(12)} ${pct(p.tpr).padEnd(10)} ${`[${pct(p.tprInterval.lower)}, ${pct(p.tprInterval.upper)}]`.padEnd(25)} ${pct(p.fpr).padEnd(10)} ${p.measurable ? '' : `not measurable: needs >= ${Math.ceil(1 / p.targetFpr)} non-members`}`,
    );
  }
  return lines.join('\n') + '\n';
}
