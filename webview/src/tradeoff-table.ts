/** The defenses table: every evaluation's accuracy, DP accounting, Pareto and policy status, and each attack's success against it. */
import type { DefenseComparison } from '../../src/engine/report/schema';
import { table } from './dom';
import { formatTargetFpr } from './format';
import { TRADEOFF_TABLE_HEADERS, tradeoffRows } from './tradeoff-data';

export function tradeoffTable(comparison: DefenseComparison): HTMLTableElement {
  const rows = tradeoffRows(comparison).map((r) => {
    const c = r.cells;
    return [c.defense, c.kind, c.testAccuracy, c.trainAccuracy, c.dpEpsilon, c.pareto, c.meetsPolicy, c.attack, c.auc, c.tpr1, c.tpr01];
  });
  return table(
    `Defenses evaluated on the same members, non-members and attacks (Pareto front read at ${formatTargetFpr(comparison.frontFpr)} FPR; TPR with 95% Clopper-Pearson intervals)`,
    TRADEOFF_TABLE_HEADERS,
    rows,
  );
}
