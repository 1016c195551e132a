/**
 * The recommendation: among the evaluated defenses that keep every attack within the
 * policy, the one that costs the least test accuracy against the undefended baseline
 * (ties: the lower attack success). It is on the Pareto front of the settings within the
 * policy by construction. It need not be on the front of all settings: a setting that
 * fails the policy on another metric (say AUC) may dominate it on the chart's axes, and
 * that must not leave the user with no recommendation. None when the baseline already
 * meets the policy: the model needs no defense.
 */
import type { DefenseComparison, DefenseEvaluation } from '../report/schema';

export function recommendDefense(baseline: DefenseEvaluation, evaluations: readonly DefenseEvaluation[]): DefenseComparison['recommendation'] {
  if (baseline.meetsPolicy) return undefined;
  const candidates = evaluations.filter((e) => e.meetsPolicy && e.errors.length === 0);
  const best = [...candidates].sort((a, b) => b.testAccuracy - a.testAccuracy || a.worstTpr - b.worstTpr)[0];
  if (!best) return undefined;
  return { id: best.id, accuracyCost: baseline.testAccuracy - best.testAccuracy, worstTpr: best.worstTpr };
}
