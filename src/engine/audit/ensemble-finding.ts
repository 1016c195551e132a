/** The ensemble-leakage finding (MPL008): averaging the models leaks more than each alone. */
import { RULES } from '../../shared/rules';
import type { EnsembleComparison, Finding } from '../report/schema';

export function ensembleLeakageFinding(comparison: EnsembleComparison, audit: string, location: Finding['location']): Finding | undefined {
  if (!comparison.raisedLeakage) return undefined;
  const fpr = `${Number(comparison.frontFpr) * 100}% FPR`;
  const e = comparison.ensemble;
  const best = {
    tpr: Math.max(...comparison.members.map((m) => m.worstTpr)),
    auc: Math.max(...comparison.members.map((m) => m.bestAuc)),
    accuracy: Math.max(...comparison.members.map((m) => m.testAccuracy)),
  };
  const raised = [
    ...(e.worstTpr > best.tpr ? [`TPR at ${fpr} ${pct(e.worstTpr)} against at most ${pct(best.tpr)} for any single model`] : []),
    ...(e.bestAuc > best.auc ? [`AUC ${e.bestAuc.toFixed(3)} against at most ${best.auc.toFixed(3)}`] : []),
  ];
  return {
    rule: 'ensemble-leakage',
    severity: RULES['ensemble-leakage'].defaultSeverity,
    audit,
    message: `Averaging the ${comparison.members.length} models leaks more than any of them alone: ${raised.join('; ')} (test accuracy ${pct(e.testAccuracy)} for the ensemble, at most ${pct(best.accuracy)} for one model).`,
    location,
    related: comparison.members.map((m) => ({ file: m.model, message: `ensemble model: TPR ${pct(m.worstTpr)} at ${fpr}, AUC ${m.bestAuc.toFixed(3)}, test accuracy ${pct(m.testAccuracy)}` })),
    data: { ensembleTpr: e.worstTpr, ensembleAuc: e.bestAuc, ensembleAccuracy: e.testAccuracy, bestMemberTpr: best.tpr, bestMemberAuc: best.auc, bestMemberAccuracy: best.accuracy },
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
