/**
 * The CSV export of an audit's defense comparison: one tidy row per evaluation, attack
 * and tabulated FPR, with the evaluation's own numbers repeated on each row so any
 * filter of the rows still carries them. DOM-free for unit tests.
 */
import type { AuditResult } from '../../src/engine/report/schema';
import { csvCell } from './export';
import { REPORTED_FPR_KEYS } from './reported-fprs';

export const TRADEOFF_CSV_HEADER = [
  'audit',
  'defense_id',
  'defense',
  'kind',
  'config',
  'test_accuracy',
  'train_accuracy',
  'dp_epsilon',
  'dp_delta',
  'worst_tpr',
  'front_fpr',
  'pareto_optimal',
  'meets_policy',
  'recommended',
  'attack',
  'auc',
  'advantage',
  'target_fpr',
  'fpr',
  'tpr',
  'tpr_ci_lower',
  'tpr_ci_upper',
  'measurable',
] as const;

/** Undefined when the audit evaluated no defenses. */
export function tradeoffCsv(audit: AuditResult): string | undefined {
  const comparison = audit.defenses;
  if (!comparison) return undefined;
  type Cell = Parameters<typeof csvCell>[0];
  const rows: Cell[][] = [[...TRADEOFF_CSV_HEADER]];
  for (const e of [comparison.baseline, ...comparison.evaluations]) {
    const head: Cell[] = [
      audit.name,
      e.id,
      e.defense,
      e.kind,
      JSON.stringify(e.config),
      e.testAccuracy,
      e.trainAccuracy,
      e.dp?.epsilon,
      e.dp?.delta,
      e.worstTpr,
      Number(comparison.frontFpr),
      e.paretoOptimal,
      e.meetsPolicy,
      e.id === comparison.recommendation?.id,
    ];
    // An evaluation whose every attack failed still gets its row (its errors are in the JSON export).
    if (!e.attacks.length) rows.push([...head, null, null, null, null, null, null, null, null, null]);
    for (const a of e.attacks) {
      for (const key of REPORTED_FPR_KEYS) {
        const p = a.tprAtFpr[key];
        if (p) rows.push([...head, a.attack, a.auc, a.advantage, Number(key), p.fpr, p.tpr, p.tprInterval?.lower, p.tprInterval?.upper, p.measurable]);
      }
    }
  }
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
