/**
 * The defense trade-off as table rows, shared by the text, HTML and SARIF reports so they
 * all say the same thing: one row per evaluation (the undefended baseline first), and one
 * row per (evaluation, attack) for the detail table.
 */
import { REPORTED_FPRS, type Interval, type ReportedFpr } from '../metrics/types';
import { fixed, fprLabel, intervalLabel, NOT_AVAILABLE, percent } from './format';
import type { DefenseComparison, DefenseEvaluation } from './schema';

export interface DefenseRow {
  id: string;
  kind: DefenseEvaluation['kind'];
  testAccuracy: number;
  trainAccuracy: number;
  /** Baseline test accuracy minus this one's (0 for the baseline). */
  accuracyCost: number;
  worstTpr: number;
  /** Interval of the attack that reached worstTpr. */
  worstTprInterval?: Interval;
  worstAttack?: string;
  bestAuc: number;
  /** DP-SGD's accounted epsilon: classic RDP conversion, and the improved one beside it. */
  accountedEpsilon?: number;
  accountedEpsilonImproved?: number;
  /** Largest empirical lower bound over the attacks. */
  empiricalEpsilon?: number;
  paretoOptimal: boolean;
  meetsPolicy: boolean;
  recommended: boolean;
  /** Why the defense produced no numbers, or which attacks failed. */
  errors: string[];
  /** How the defended model came to be (retraining notes, cache hits). */
  notes: string[];
}

export function defenseRows(c: DefenseComparison): DefenseRow[] {
  return [c.baseline, ...c.evaluations].map((e) => {
    const worst = [...e.attacks].sort((a, b) => b.tprAtFpr[c.frontFpr].tpr - a.tprAtFpr[c.frontFpr].tpr)[0];
    const bounds = e.attacks.flatMap((a) => (a.epsilonLowerBound ? [a.epsilonLowerBound.epsilon] : []));
    return {
      id: e.id,
      kind: e.kind,
      testAccuracy: num(e.testAccuracy),
      trainAccuracy: num(e.trainAccuracy),
      accuracyCost: num(c.baseline.testAccuracy) - num(e.testAccuracy),
      worstTpr: num(e.worstTpr),
      worstTprInterval: worst?.tprAtFpr[c.frontFpr].tprInterval,
      worstAttack: worst?.attack,
      bestAuc: e.attacks.length ? Math.max(...e.attacks.map((a) => num(a.auc))) : NaN,
      ...(e.dp ? { accountedEpsilon: e.dp.epsilon } : {}),
      ...(e.dp?.epsilonImproved !== undefined ? { accountedEpsilonImproved: e.dp.epsilonImproved } : {}),
      ...(bounds.length ? { empiricalEpsilon: Math.max(...bounds) } : {}),
      paretoOptimal: e.paretoOptimal,
      meetsPolicy: e.meetsPolicy,
      recommended: c.recommendation?.id === e.id,
      errors: e.errors.map((x) => `${x.attack}: ${x.message}`),
      notes: e.notes ?? [],
    };
  });
}

/** JSON readers see null for NaN; treat both as "not a number". */
function num(x: number | null | undefined): number {
  return typeof x === 'number' ? x : NaN;
}

export function defenseTableHeader(frontFpr: ReportedFpr): string[] {
  return ['Defense', 'Kind', 'Test acc.', 'Train acc.', 'Cost', `Worst TPR@${fprLabel(frontFpr)} FPR [95% CI]`, 'Best AUC', 'DP eps', 'eps >=', 'Pareto', 'Policy'];
}

export function defenseTableCells(row: DefenseRow): string[] {
  return [
    row.id,
    row.kind,
    percent(row.testAccuracy, 1),
    percent(row.trainAccuracy, 1),
    row.kind === 'none' ? '' : points(row.accuracyCost),
    `${percent(row.worstTpr)}${row.worstTprInterval ? ` ${intervalLabel(row.worstTprInterval)}` : ''}`,
    fixed(row.bestAuc),
    row.accountedEpsilon === undefined ? '' : `${fixed(row.accountedEpsilon, 2)}${row.accountedEpsilonImproved === undefined ? '' : ` / ${fixed(row.accountedEpsilonImproved, 2)}`}`,
    row.empiricalEpsilon === undefined ? NOT_AVAILABLE : fixed(row.empiricalEpsilon, 2),
    row.paretoOptimal ? 'yes' : 'no',
    `${row.meetsPolicy ? 'meets' : 'fails'}${row.recommended ? ' (recommended)' : ''}`,
  ];
}

/** "-1.2 pts": test accuracy lost against the baseline; "+" when the defense gained accuracy. */
export function points(cost: number): string {
  if (!Number.isFinite(cost)) return NOT_AVAILABLE;
  return `${cost >= 0 ? '-' : '+'}${Math.abs(cost * 100).toFixed(1)} pts`;
}

export function defenseAttackHeader(): string[] {
  return ['Defense', 'Attack', 'AUC', ...REPORTED_FPRS.map((k) => `TPR@${fprLabel(k)} FPR [95% CI]`), 'eps >='];
}

export function defenseAttackCells(c: DefenseComparison): string[][] {
  return [c.baseline, ...c.evaluations].flatMap((e) =>
    e.attacks.map((a) => [
      e.id,
      a.attack,
      fixed(a.auc),
      ...REPORTED_FPRS.map((k) => `${percent(a.tprAtFpr[k].tpr)}${a.tprAtFpr[k].measurable ? '' : '*'} ${intervalLabel(a.tprAtFpr[k].tprInterval)}`),
      a.epsilonLowerBound ? fixed(a.epsilonLowerBound.epsilon, 2) : NOT_AVAILABLE,
    ]),
  );
}
