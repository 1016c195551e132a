/**
 * Findings about defenses: the recommended defense (on its defenses.evaluate entry, with the
 * configuration a quick fix pastes), defenses that failed, and DP-SGD runs whose accounted
 * epsilon is contradicted by an attack's empirical lower bound (an accounting or
 * implementation error: a correct DP-SGD run can never be beaten with 95% confidence
 * except 5% of the time).
 */
import { RULES } from '../../shared/rules';
import { DEFENSE_FAILURE } from './defense-evaluation';
import type { AuditSpec } from '../manifest';
import { fprLabel } from '../report/format';
import type { AuditResult, DefenseAttackOutcome, DefenseEvaluation, Finding } from '../report/schema';
import { locate, pct, type FindingContext } from './findings';

export function defenseFindings(result: AuditResult, spec: AuditSpec, ctx: FindingContext): Finding[] {
  const findings: Finding[] = [];
  const comparison = result.defenses;
  const modelRelated = { file: result.model, message: 'the audited model' };
  const entry = (e: DefenseEvaluation) =>
    locate(ctx, spec, [{ path: ['audits', spec.index, 'defenses', 'evaluate', e.manifestIndex ?? 0], part: 'value' }, { path: ['audits', spec.index, 'defenses'], part: 'key' }]);

  if (comparison) {
    const { baseline, recommendation, frontFpr } = comparison;
    const fprText = fprLabel(frontFpr);
    const recommended = recommendation && comparison.evaluations.find((e) => e.id === recommendation.id);
    if (recommendation && recommended) {
      const front = comparison.evaluations.filter((e) => e.paretoOptimal).length;
      findings.push({
        rule: 'defense-recommendation',
        severity: RULES['defense-recommendation'].defaultSeverity,
        audit: spec.name,
        message:
          `Recommended defense: ${recommended.id}. It keeps every attack within the policy (worst TPR ${pctOrNa(recommended.worstTpr)} at ${fprText} FPR, ` +
          `undefended ${pctOrNa(baseline.worstTpr)}) ${recommendation.accuracyCost >= 0 ? `at a test-accuracy cost of ${points(recommendation.accuracyCost)}` : `and even gains ${points(-recommendation.accuracyCost)} of test accuracy`} ` +
          `(${pctOrNa(recommended.testAccuracy)} vs ${pctOrNa(baseline.testAccuracy)} undefended); ${front} of ${comparison.evaluations.length} evaluated settings are on the Pareto front.` +
          (recommended.dp ? ` DP-SGD accounts epsilon = ${recommended.dp.epsilon.toFixed(2)} at delta = ${recommended.dp.delta}; the attacks prove at least ${maxEpsilon(recommended.attacks).toFixed(2)}.` : ''),
        location: entry(recommended),
        related: [modelRelated],
        data: {
          config: JSON.stringify(recommended.config),
          defense: recommended.defense,
          accuracyCost: recommendation.accuracyCost,
          worstTpr: recommendation.worstTpr,
          testAccuracy: recommended.testAccuracy,
          baselineTestAccuracy: baseline.testAccuracy,
          baselineWorstTpr: baseline.worstTpr,
        },
      });
    }
    for (const e of comparison.evaluations) {
      const failure = e.errors.find((x) => x.attack === DEFENSE_FAILURE);
      if (failure) {
        findings.push({
          rule: 'invalid-input',
          severity: 'medium',
          audit: spec.name,
          message: `Defense ${e.id} could not be evaluated: ${failure.message}`,
          location: entry(e),
          related: [],
        });
      }
      const claim = e.dp && epsilonContradiction(e.dp.epsilon, e.attacks);
      if (claim) {
        findings.push({
          rule: 'epsilon-claim',
          severity: RULES['epsilon-claim'].defaultSeverity,
          audit: spec.name,
          attack: claim.attack,
          message: `DP-SGD run ${e.id} accounts (epsilon=${e.dp!.epsilon.toFixed(2)}, delta=${e.dp!.delta})-DP, but ${claim.attack} shows epsilon >= ${claim.epsilon.toFixed(2)} with 95% confidence (a one-run audit, Steinke et al. 2023: threshold chosen on a random half of the records, bound on the other half): the training or the accounting is wrong.`,
          location: entry(e),
          related: [modelRelated],
          data: { accountedEpsilon: e.dp!.epsilon, empiricalEpsilon: claim.epsilon, delta: e.dp!.delta },
        });
      }
    }
  }

  const applied = result.appliedDefense?.['dp'] as DefenseEvaluation['dp'] | undefined;
  if (applied) {
    const best = result.attacks
      .filter((a) => a.epsilonLowerBound && a.epsilonLowerBound.delta === applied.delta)
      .sort((a, b) => b.epsilonLowerBound!.epsilon - a.epsilonLowerBound!.epsilon)[0];
    if (best && best.epsilonLowerBound!.epsilon > applied.epsilon) {
      findings.push({
        rule: 'epsilon-claim',
        severity: RULES['epsilon-claim'].defaultSeverity,
        audit: spec.name,
        attack: best.id,
        message: `The model retrained with DP-SGD accounts (epsilon=${applied.epsilon.toFixed(2)}, delta=${applied.delta})-DP, but ${best.id} shows epsilon >= ${best.epsilonLowerBound!.epsilon.toFixed(2)} with 95% confidence (a one-run audit, Steinke et al. 2023: threshold chosen on a random half of the records, bound on the other half, simultaneous over the attacks): the training or the accounting is wrong.`,
        location: locate(ctx, spec, [{ path: ['audits', spec.index, 'defense'], part: 'value' }]),
        related: [modelRelated],
        data: { accountedEpsilon: applied.epsilon, empiricalEpsilon: best.epsilonLowerBound!.epsilon, delta: applied.delta },
      });
    }
  }
  return findings;
}

function maxEpsilon(attacks: readonly DefenseAttackOutcome[]): number {
  return Math.max(0, ...attacks.map((a) => a.epsilonLowerBound?.epsilon ?? 0));
}

/** The attack whose empirical bound exceeds the accounted epsilon the most, if any does. */
function epsilonContradiction(accounted: number, attacks: readonly DefenseAttackOutcome[]): { attack: string; epsilon: number } | undefined {
  const best = attacks
    .filter((a) => a.epsilonLowerBound !== undefined)
    .sort((a, b) => b.epsilonLowerBound!.epsilon - a.epsilonLowerBound!.epsilon)[0];
  return best && best.epsilonLowerBound!.epsilon > accounted ? { attack: best.attack, epsilon: best.epsilonLowerBound!.epsilon } : undefined;
}

/** pct, with "n/a" for a value a failed attack left undefined. */
function pctOrNa(x: number): string {
  return Number.isFinite(x) ? pct(x) : 'n/a';
}

function points(cost: number): string {
  return `${(cost * 100).toFixed(1)} points`;
}
