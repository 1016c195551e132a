/**
 * Runs the audits of a manifest: model outputs -> signals -> attacks -> results.
 * One failing attack is recorded and the others still run; one failing audit becomes an
 * invalid-input finding and the other audits still run; a cancel keeps finished audits.
 */
import { isInputError } from '../errors';
import type { AuditSpec } from '../manifest';
import type { AttackResult, AuditResult, DatasetSummary } from '../report/schema';
import { isFastAttack, needsShadowModels } from '../attacks/catalog';
import { verdictBasis } from './verdict-basis';
import { inapplicableAttacks } from './applicability';
import { measureShadowQuality } from './shadow-quality';
import type { Dataset } from '../artifacts/dataset';
import { computeModelOutputs } from './model-outputs';
import type { AttackContextOptions } from './attack-context';
import { prepareAuditedModel, type AuditedModel } from './audited-defense';
import { evaluateDefenses } from './defense-evaluation';
import { trainDefendedModel } from '../defenses/training';
import { runAttacks } from './run-attacks';
import type { AuditHooks } from './progress';
import { accuracy, classCountsOf } from './record-checks';
import { compareEnsemble, computeEnsembleOutputs, disableWhiteBox } from './ensemble-audit';
import { computeRiskPredictors } from './risk-predictors';
import { relativeTo } from './relative-path';
import { plausibilityOf, throwIfImplausible } from './plausibility';

export interface AuditRun {
  result: AuditResult;
  /** Datasets kept for the ground-truth checks of the findings step. */
  members: Dataset;
  nonMembers: Dataset;
  numClasses: number;
}


export async function runAudit(spec: AuditSpec, root: string, hooks: AuditHooks = {}, options: AttackContextOptions = {}): Promise<AuditRun> {
  const started = Date.now();
  const defenseSteps = spec.defenses ? spec.defenses.evaluate.length + 1 : 0;
  const total = spec.attacks.length + 1 + defenseSteps;
  const report = (stage: string, done: number) => hooks.onProgress?.({ audit: spec.name, stage, done, total });
  // A list of models is an ensemble: the attacks below run against the average of their outputs.
  const ensembleOutputs = spec.ensemble ? await computeEnsembleOutputs(spec, hooks.signal, (stage) => report(stage, 0)) : undefined;
  const target = ensembleOutputs?.ensemble ?? (await computeModelOutputs(spec, hooks.signal, (stage) => report(stage, 0)));
  let audited: AuditedModel;
  let plausibility: ReturnType<typeof throwIfImplausible>;
  try {
    // Inputs that cannot be what the model was trained on stop here (ImplausibleInputError),
    // before a defense is retrained and before any attack.
    plausibility = throwIfImplausible(plausibilityOf(target, spec.members), spec.model);
    audited = await prepareAuditedModel(spec, target, { root, hooks, options }, trainDefendedModel, (stage) => report(stage, 0));
  } catch (e) {
    target.model.dispose();
    throw e;
  }
  const { outputs, context: ctx } = audited;
  if (ensembleOutputs) disableWhiteBox(ctx);
  try {
    const numClasses = outputs.model.numClasses;
    const summary = (ds: Dataset): DatasetSummary => ({
      file: relativeTo(root, ds.source), count: ds.count, featureShape: ds.featureShape, classCounts: classCountsOf(ds, numClasses),
    });
    const baseResult = (attacks: AttackResult[], errors: AuditResult['errors']): AuditResult => ({
      name: spec.name,
      model: relativeTo(root, spec.model),
      members: summary(outputs.members.dataset),
      nonMembers: summary(outputs.nonMembers.dataset),
      population: outputs.population ? summary(outputs.population.dataset) : undefined,
      accuracy: {
        members: accuracy(outputs.members.probabilities, outputs.members.dataset.labels, numClasses),
        nonMembers: accuracy(outputs.nonMembers.probabilities, outputs.nonMembers.dataset.labels, numClasses),
      },
      attacks,
      errors,
      riskPredictors: computeRiskPredictors(
        { probabilities: outputs.members.probabilities, labels: outputs.members.dataset.labels },
        { probabilities: outputs.nonMembers.probabilities, labels: outputs.nonMembers.dataset.labels },
        numClasses,
      ),
      ...(audited.appliedDefense ? { appliedDefense: audited.appliedDefense } : {}),
      ...(plausibility.length > 0 ? { plausibility } : {}),
      durationMs: Date.now() - started,
    });
    const runOf = (result: AuditResult): AuditRun => ({ result, members: outputs.members.dataset, nonMembers: outputs.nonMembers.dataset, numClasses });
    // Threshold attacks first: they answer in seconds, and their verdict is shown (marked
    // preliminary) while the shadow-model attacks, which decide the final verdict, train.
    const inapplicable = inapplicableAttacks(spec, outputs.model);
    const runnable = spec.attacks.filter((id) => !inapplicable.some((x) => x.attack === id));
    const skipped = inapplicable.map((x) => ({ attack: x.attack, message: `not applicable: ${x.reason}` }));
    const fast = runnable.filter(isFastAttack);
    const slow = runnable.filter((id) => !isFastAttack(id));
    // A problem with the user's files stops the audit (it is reported on the manifest);
    // anything else is this attack's failure, recorded while the other attacks run.
    const loop = (ids: string[], offset: number) => runAttacks(ids, ctx, {
      signal: hooks.signal, delta: audited.boundDelta, onAttack: (id, i) => report(`attack ${id}`, offset + i + 1), rethrow: isInputError,
      // The epsilon-claim finding takes the largest bound over the attacks: Bonferroni keeps it at 95% confidence.
      epsilonConfidence: 1 - 0.05 / Math.max(1, spec.attacks.length),
    });
    const first = await loop(fast, 0);
    first.errors.unshift(...skipped);
    if (slow.length > 0 && hooks.onPreliminary) {
      const preliminary = baseResult(first.results, first.errors);
      preliminary.preliminary = true;
      preliminary.basis = verdictBasis(spec, preliminary.attacks, { pending: slow });
      hooks.onPreliminary(runOf(preliminary));
    }
    const second = await loop(slow, fast.length);
    // Report the attacks in the order the manifest lists them.
    const order = (id: string) => spec.attacks.indexOf(id);
    const attacks = [...first.results, ...second.results].sort((a, b) => order(a.id) - order(b.id));
    const errors = [...first.errors, ...second.errors];
    const shadowQuality = slow.some(needsShadowModels) ? await measureShadowQuality(ctx) : undefined;
    let defenses: AuditResult['defenses'];
    if (spec.defenses) {
      // One progress step per evaluation (the baseline first): stages read "defense <id>: ...".
      let step = spec.attacks.length;
      let current = '';
      const onStage = (stage: string) => {
        const evaluation = stage.slice(0, stage.indexOf(':'));
        if (evaluation !== current) (current = evaluation), step++;
        report(stage, step);
      };
      // An ensemble's audit context has the white-box attack switched off; the baseline keeps its own context.
      const baseContext = ensembleOutputs ? undefined : audited.base;
      defenses = await evaluateDefenses({ spec, defenses: spec.defenses, target, root, hooks, options, train: trainDefendedModel, onStage, baseContext });
    }
    const ensemble = ensembleOutputs
      ? await compareEnsemble(spec, ensembleOutputs, spec.defense ? undefined : attacks, root, hooks, options, (stage) => report(stage, spec.attacks.length))
      : undefined;
    report('done', total);
    const result: AuditResult = {
      ...baseResult(attacks, errors),
      ...(defenses ? { defenses } : {}),
      ...(ensemble ? { ensemble } : {}),
      basis: verdictBasis(spec, attacks, { errors }),
      ...(shadowQuality ? { shadowQuality } : {}),
    };
    return runOf(result);
  } finally {
    audited.dispose();
    target.model.dispose();
  }
}

export { relativeTo } from './relative-path';
