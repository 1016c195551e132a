/**
 * Defenses side by side: the undefended baseline and every configured defense, each attacked
 * with the same attacks on the same members and non-members, then the Pareto front of
 * (test accuracy up, worst TPR at 0.1% FPR down) and the recommendation. One failing
 * defense is recorded in its own errors and the others still run.
 */
import { loadWhiteBoxModel, type WhiteBoxModel } from '../artifacts/models/gradient-access';
import type { AttackContext, AttackContextOptions } from './attack-context';
import { auditShadowRequest, createAttackContext, shadowProgressHooks } from './attack-context';
import { measure } from './findings';
import type { ModelOutputs } from './model-outputs';
import { isCancellation, throwIfCancelled, type AuditHooks } from './progress';
import { accuracy } from './record-checks';
import { runAttacks } from './run-attacks';
import { isInputError } from '../errors';
import type { AuditSpec, DefenseSpec, DefensesSpec } from '../manifest/types';
import type { ReportedFpr } from '../metrics/types';
import type { AttackResult, DefenseAttackOutcome, DefenseComparison, DefenseEvaluation } from '../report/schema';
import { applyDefense, checkDefenseSettings, defenseCacheDir, trainingSpecOf, type DefendedOutputs } from '../defenses/apply';
import { defenseId } from '../manifest/defense-config';
import { trainDefendedShadows, type DefendedShadowRequest } from '../defenses/defended-shadows';
import { paretoOptimal } from '../defenses/pareto';
import { recommendDefense } from '../defenses/recommend';
import type { TrainDefendedModel } from '../defenses/training/types';
import { queuedDefendExecutor } from '../queue/defended-executor';
import { parseQueueUrl } from '../queue/queue-url';

/** The trade-off is read at TPR at 0.1% FPR, the number that matters for membership privacy. */
export const FRONT_FPR: ReportedFpr = '0.001';
/** Delta of the empirical epsilon bound when neither the manifest's privacy claim nor DP-SGD gives one. */
export const DEFAULT_BOUND_DELTA = 1e-5;
/** The `attack` of an error that stopped the whole defense (training failed, bad setting). */
export const DEFENSE_FAILURE = 'defense';

export interface DefenseEvaluationRequest {
  spec: AuditSpec;
  defenses: DefensesSpec;
  /** The undefended target's outputs; never disposed here. */
  target: ModelOutputs;
  root: string;
  hooks: AuditHooks;
  options: AttackContextOptions;
  train: TrainDefendedModel;
  /** Progress inside the defense step, in words. */
  onStage?: (stage: string) => void;
  /**
   * The target's attack context when the caller already has one (its shadows and query
   * predictions are then computed once); never disposed here. Absent: one is made.
   */
  baseContext?: AttackContext;
}

export async function evaluateDefenses(req: DefenseEvaluationRequest): Promise<DefenseComparison> {
  const { spec, defenses, target } = req;
  const numClasses = target.model.numClasses;
  // Every setting is checked against the data before the first defense is trained.
  for (const d of defenses.evaluate) checkDefenseSettings(d, target.members.dataset.count, numClasses, req.options.manifestFile ?? spec.model);
  const baseContext = req.baseContext ?? createAttackContext(spec, target, req.root, req.hooks, req.options);
  try {
    const baseline = await attackDefended(req, baseContext, undefined, undefined, Date.now());
    const evaluations: DefenseEvaluation[] = [];
    const ids = new Set<string>(['none']);
    for (const [j, d] of defenses.evaluate.entries()) {
      throwIfCancelled(req.hooks.signal);
      evaluations.push(await evaluateOne(req, baseContext, d, j, uniqueId(defenseId(d), ids)));
    }
    const all = [baseline, ...evaluations];
    const front = paretoOptimal(all.map((e) => ({ accuracy: e.testAccuracy, risk: e.worstTpr })));
    all.forEach((e, i) => (e.paretoOptimal = front[i]!));
    const recommendation = recommendDefense(baseline, evaluations);
    const policyMaxTpr = policyLimitAt(spec, Number(FRONT_FPR));
    return { frontFpr: FRONT_FPR, baseline, evaluations, ...(policyMaxTpr !== undefined ? { policyMaxTpr } : {}), ...(recommendation ? { recommendation } : {}) };
  } finally {
    if (baseContext !== req.baseContext) baseContext.dispose();
  }
}

/** The tightest TPR limit the audit's policy sets at this FPR; undefined when no rule reads TPR there. */
export function policyLimitAt(spec: AuditSpec, fpr: number): number | undefined {
  const limits = spec.policy.filter((r) => r.metric === 'tprAtFpr' && r.fpr === fpr).map((r) => r.max);
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

function uniqueId(id: string, taken: Set<string>): string {
  let unique = id;
  for (let n = 2; taken.has(unique); n++) unique = `${id} (${n})`;
  taken.add(unique);
  return unique;
}

async function evaluateOne(req: DefenseEvaluationRequest, baseContext: AttackContext, d: DefenseSpec, j: number, id: string): Promise<DefenseEvaluation> {
  const started = Date.now();
  let defended: DefendedOutputs | undefined;
  try {
    req.onStage?.(`defense ${id}: ${d.kind === 'training' ? 'retraining' : 'applying'}`);
    defended = await applyDefense(d, req.target, {
      audit: req.spec,
      manifestFile: req.options.manifestFile,
      cacheDir: defenseCacheDir(req.root, req.options.cacheDir),
      workers: req.options.workers,
      train: req.train,
      signal: req.hooks.signal,
      onProgress: (done, total) => req.onStage?.(`defense ${id}: retraining ${done}/${total}`),
    });
    const context = defendedContext({ spec: req.spec, root: req.root, hooks: req.hooks, options: req.options }, baseContext, defended, d, req.train);
    try {
      return await attackDefended(req, context, { spec: d, index: j, id }, defended, started);
    } finally {
      context.dispose();
    }
  } catch (e) {
    if (isCancellation(e, req.hooks.signal)) throw e;
    return failedEvaluation(d, j, id, e as Error, started);
  } finally {
    defended?.dispose();
  }
}

/**
 * The attack context of a defended model, for an adaptive attacker who knows the defense.
 * Inference-time: shadow attacks see the shadows' outputs through the same transform; the
 * white-box attack reads the target's weights, which an output defense does not change.
 * Training-time: the shadows are retrained with the same defense and recipe as the
 * defended target (defended-shadows.ts; refused for defenses shadows cannot reproduce),
 * and the white-box attack reads the retrained model's weights when it is one TF.js
 * Layers model.
 */
export function defendedContext(
  where: { spec: AuditSpec; root: string; hooks: AuditHooks; options: AttackContextOptions },
  baseContext: AttackContext,
  defended: DefendedOutputs,
  defense: DefenseSpec,
  train: TrainDefendedModel,
): AttackContext {
  const context = createAttackContext(where.spec, defended.outputs, where.root, where.hooks, where.options);
  const transform = defended.transform;
  if (transform) {
    let shadows: ReturnType<AttackContext['shadows']> | undefined;
    context.shadows = () =>
      (shadows ??= baseContext.shadows().then((s) => ({
        ...s,
        auditProbabilities: s.auditProbabilities.map(transform),
        populationProbabilities: s.populationProbabilities?.map(transform),
      })));
    context.whiteBox = baseContext.whiteBox;
    return context;
  }
  let shadows: ReturnType<AttackContext['shadows']> | undefined;
  context.shadows = () => (shadows ??= trainDefendedShadows(defendedShadowRequest(where, context, defense, train), shadowProgressHooks(where.spec, where.hooks, `${defense.name} shadow models`)));
  const weights = defended.weightsFile;
  if (weights === undefined) {
    const reason = defended.noWeights ?? 'the retrained model offers no gradient access';
    context.whiteBox = () => Promise.reject(new Error(`the white-box attack is not run against "${defense.name}": ${reason}`));
    return context;
  }
  let whiteBox: Promise<WhiteBoxModel> | undefined;
  context.whiteBox = () => (whiteBox ??= loadWhiteBoxModel(weights));
  const dispose = context.dispose;
  context.dispose = () => {
    dispose();
    void whiteBox?.then((m) => m.dispose()).catch(() => undefined);
  };
  return context;
}

/** The defended shadows of a training-time defense: the audit's shadow settings, the defense as the target was retrained. */
function defendedShadowRequest(
  where: { spec: AuditSpec; root: string; options: AttackContextOptions },
  context: AttackContext,
  defense: DefenseSpec,
  train: TrainDefendedModel,
): DefendedShadowRequest {
  const { spec, options } = where;
  return {
    ...auditShadowRequest(spec, context, options),
    targetModelFile: spec.model,
    ...(options.manifestFile ? { manifestFile: options.manifestFile } : {}),
    defense: trainingSpecOf(defense),
    train,
    cacheDir: defenseCacheDir(where.root, options.cacheDir),
    // The audit's 0 means "one per core"; the trainer's 0 means "in this thread".
    ...(options.workers ? { workers: options.workers } : {}),
    ...(options.queueUrl ? { executorFor: queuedDefendExecutor(parseQueueUrl(options.queueUrl), context.auditRecords.source) } : {}),
  };
}


async function attackDefended(
  req: DefenseEvaluationRequest,
  context: AttackContext,
  defense: { spec: DefenseSpec; index: number; id: string } | undefined,
  defended: DefendedOutputs | undefined,
  started: number,
): Promise<DefenseEvaluation> {
  const { outputs, numClasses } = context;
  const id = defense?.id ?? 'none';
  const delta = defense?.spec.name === 'dp-sgd' ? defense.spec.params['delta']! : req.spec.privacy?.delta ?? DEFAULT_BOUND_DELTA;
  // Every failure but cancellation is recorded on the evaluation.
  const { results, errors } = await runAttacks(req.defenses.attacks, context, {
    signal: req.hooks.signal, delta, onAttack: (attack) => req.onStage?.(`defense ${id}: attack ${attack}`),
  });
  const evaluation: DefenseEvaluation = {
    id,
    defense: defense?.spec.name ?? 'none',
    kind: defense?.spec.kind ?? 'none',
    config: defense ? { ...defense.spec.config } : { name: 'none' },
    ...(defense ? { manifestIndex: defense.index } : {}),
    testAccuracy: accuracy(outputs.nonMembers.probabilities, outputs.nonMembers.dataset.labels, numClasses),
    trainAccuracy: accuracy(outputs.members.probabilities, outputs.members.dataset.labels, numClasses),
    attacks: results.map(outcomeOf),
    ...(defended?.dp ? { dp: defended.dp } : {}),
    worstTpr: results.length ? Math.max(...results.map((r) => r.metrics.tprAtFpr[FRONT_FPR].tpr)) : NaN,
    paretoOptimal: false,
    meetsPolicy: results.length > 0 && errors.length === 0 && results.every((r) => withinPolicy(r, req.spec)),
    errors,
    ...(defended?.notes.length ? { notes: defended.notes } : {}),
    durationMs: Date.now() - started,
  };
  return evaluation;
}

function withinPolicy(result: AttackResult, spec: AuditSpec): boolean {
  return spec.policy.every((rule) => {
    const measured = measure(result, rule);
    return measured === undefined || measured <= rule.max;
  });
}

function outcomeOf(r: AttackResult): DefenseAttackOutcome {
  return {
    attack: r.id,
    auc: r.metrics.auc,
    advantage: r.metrics.advantage,
    tprAtFpr: r.metrics.tprAtFpr,
    ...(r.epsilonLowerBound ? { epsilonLowerBound: r.epsilonLowerBound } : {}),
  };
}

function failedEvaluation(d: DefenseSpec, j: number, id: string, e: Error, started: number): DefenseEvaluation {
  return {
    id,
    defense: d.name,
    kind: d.kind,
    config: { ...d.config },
    manifestIndex: j,
    testAccuracy: NaN,
    trainAccuracy: NaN,
    attacks: [],
    worstTpr: NaN,
    paretoOptimal: false,
    meetsPolicy: false,
    errors: [{ attack: DEFENSE_FAILURE, message: isInputError(e) ? e.message : `${d.name} failed: ${e.message}` }],
    durationMs: Date.now() - started,
  };
}


