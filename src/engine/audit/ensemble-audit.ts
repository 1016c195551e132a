/**
 * Audits of an ensemble (manifest "model" given as a list): the members' probabilities are
 * averaged and the audit's attacks run against the average; each member is then attacked
 * alone with the same attacks on the same records, so the report can say whether averaging
 * raised leakage (deep ensembles gain accuracy and membership leakage together).
 *
 * Shadow-model attacks on the ensemble train shadows of the first member's architecture
 * (one shadow per model, not an ensemble of shadows), and white-box attacks do not run on
 * the ensemble: an average of models has no single set of gradients to inspect. Only
 * attacks that succeeded on the ensemble and on every member enter the comparison.
 */
import { isInputError } from '../errors';
import { EnsembleClassifier, averageProbabilities } from '../artifacts/models/ensemble-classifier';
import type { AuditSpec } from '../manifest';
import type { ReportedFpr } from '../metrics/types';
import type { AttackResult, EnsembleComparison } from '../report/schema';
import { createAttackContext, type AttackContext, type AttackContextOptions } from './attack-context';
import { computeModelOutputs, type GroupOutputs, type ModelOutputs } from './model-outputs';
import type { AuditHooks } from './progress';
import { accuracy } from './record-checks';
import { relativeTo } from './relative-path';
import { runAttacks } from './run-attacks';

/** The FPR the comparison reads TPR at: the 0.1% the issue and the Pareto front use. */
export const ENSEMBLE_FRONT_FPR: ReportedFpr = '0.001';

export interface EnsembleMemberOutputs {
  /** Absolute path of the member's model file. */
  file: string;
  outputs: ModelOutputs;
}

export interface EnsembleOutputs {
  /** Outputs of the averaged ensemble; its model is an EnsembleClassifier that owns the members' models. */
  ensemble: ModelOutputs;
  members: EnsembleMemberOutputs[];
}

/** Loads every member (datasets checked against each) and averages their outputs. */
export async function computeEnsembleOutputs(spec: AuditSpec, signal?: AbortSignal, onStage?: (stage: string) => void): Promise<EnsembleOutputs> {
  const files = spec.ensemble ?? [spec.model];
  const loaded: ModelOutputs[] = [];
  try {
    for (const [i, file] of files.entries()) {
      loaded.push(await computeModelOutputs({ ...spec, model: file }, signal, (stage) => onStage?.(`ensemble model ${i + 1}/${files.length}: ${stage}`)));
    }
    const model = new EnsembleClassifier(loaded.map((o) => o.model));
    // Every member read the same files; keep one copy of each dataset.
    const first = loaded[0];
    const share = (group: (o: ModelOutputs) => GroupOutputs | undefined): GroupOutputs | undefined => {
      const own = group(first);
      return own && { dataset: own.dataset, probabilities: averageProbabilities(loaded.map((o) => group(o)!.probabilities)) };
    };
    const ensemble: ModelOutputs = {
      model,
      members: share((o) => o.members)!,
      nonMembers: share((o) => o.nonMembers)!,
      population: share((o) => o.population),
    };
    const members = loaded.map((o, i) => ({
      file: files[i],
      outputs: {
        model: o.model,
        members: { dataset: first.members.dataset, probabilities: o.members.probabilities },
        nonMembers: { dataset: first.nonMembers.dataset, probabilities: o.nonMembers.probabilities },
        population: first.population && o.population ? { dataset: first.population.dataset, probabilities: o.population.probabilities } : undefined,
      },
    }));
    return { ensemble, members };
  } catch (e) {
    for (const o of loaded) o.model.dispose();
    throw e;
  }
}

/** The averaged ensemble has no single set of gradients: white-box attacks fail on it with a reason. */
export function disableWhiteBox(ctx: AttackContext): void {
  ctx.whiteBox = () =>
    Promise.reject(new Error('white-box attacks need one model\'s gradients; the averaged ensemble has none. Each ensemble model is attacked alone in the ensemble comparison.'));
}

/**
 * Runs the audit's attacks on one model's outputs (a member, or the undefended ensemble);
 * a failing attack is left out of the comparison, while input errors and cancellation stop
 * the audit as in the main loop.
 */
async function attackOutputs(spec: AuditSpec, outputs: ModelOutputs, root: string, hooks: AuditHooks, options: AttackContextOptions, whiteBox: boolean): Promise<AttackResult[]> {
  const ctx = createAttackContext(spec, outputs, root, hooks, options);
  if (!whiteBox) disableWhiteBox(ctx);
  try {
    // A failing attack is left out (its errors are not kept); input errors stop the audit.
    return (await runAttacks(spec.attacks, ctx, { signal: hooks.signal, rethrow: isInputError })).results;
  } finally {
    ctx.dispose();
  }
}

/** The largest TPR at the front FPR and the largest AUC over the given attacks. */
export function leakageOf(attacks: readonly AttackResult[], fpr: ReportedFpr = ENSEMBLE_FRONT_FPR): { worstTpr: number; bestAuc: number } {
  return {
    worstTpr: Math.max(...attacks.map((a) => a.metrics.tprAtFpr[fpr].tpr)),
    bestAuc: Math.max(...attacks.map((a) => a.metrics.auc)),
  };
}

export interface EnsembleLeakageInput {
  /** Relative model path as reported, accuracy on non-members, and the member's attack results. */
  members: { model: string; testAccuracy: number; attacks: readonly AttackResult[] }[];
  ensemble: { testAccuracy: number; attacks: readonly AttackResult[] };
}

/**
 * Compares on the attacks every party has a result for. Undefined when there is none.
 * Leakage is raised when the ensemble's worst TPR, or its best AUC, exceeds every member's.
 */
export function compareLeakage(input: EnsembleLeakageInput, fpr: ReportedFpr = ENSEMBLE_FRONT_FPR): EnsembleComparison | undefined {
  const ids = input.ensemble.attacks.map((a) => a.id).filter((id) => input.members.every((m) => m.attacks.some((a) => a.id === id)));
  if (ids.length === 0) return undefined;
  const common = (attacks: readonly AttackResult[]) => attacks.filter((a) => ids.includes(a.id));
  const members = input.members.map((m) => ({ model: m.model, testAccuracy: m.testAccuracy, ...leakageOf(common(m.attacks), fpr) }));
  const ensemble = { testAccuracy: input.ensemble.testAccuracy, ...leakageOf(common(input.ensemble.attacks), fpr) };
  const raisedLeakage = members.every((m) => ensemble.worstTpr > m.worstTpr) || members.every((m) => ensemble.bestAuc > m.bestAuc);
  return { members, ensemble, frontFpr: fpr, raisedLeakage };
}

/**
 * Attacks each member alone and compares with the ensemble. `ensembleAttacks` are the main
 * audit's results on the ensemble; pass undefined when the audit attacked a defended
 * ensemble (manifest "defense"), and the undefended average is attacked here, so members
 * and ensemble are compared like for like.
 */
export async function compareEnsemble(
  spec: AuditSpec,
  outputs: EnsembleOutputs,
  ensembleAttacks: readonly AttackResult[] | undefined,
  root: string,
  hooks: AuditHooks = {},
  options: AttackContextOptions = {},
  onStage?: (stage: string) => void,
): Promise<EnsembleComparison | undefined> {
  const members: EnsembleLeakageInput['members'] = [];
  for (const [i, member] of outputs.members.entries()) {
    onStage?.(`ensemble model ${i + 1}/${outputs.members.length} alone`);
    const o = member.outputs;
    members.push({
      model: relativeTo(root, member.file),
      testAccuracy: accuracy(o.nonMembers.probabilities, o.nonMembers.dataset.labels, o.model.numClasses),
      attacks: await attackOutputs({ ...spec, model: member.file, ensemble: undefined }, o, root, hooks, options, true),
    });
  }
  const e = outputs.ensemble;
  if (!ensembleAttacks) onStage?.('undefended ensemble');
  const attacks = ensembleAttacks ?? (await attackOutputs(spec, e, root, hooks, options, false));
  return compareLeakage({ members, ensemble: { testAccuracy: accuracy(e.nonMembers.probabilities, e.nonMembers.dataset.labels, e.model.numClasses), attacks } });
}
