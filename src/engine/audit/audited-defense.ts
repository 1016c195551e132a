/**
 * The model an audit attacks: the target as loaded, or, when the manifest names the
 * "defense" it is served or trained with, the defended model (outputs wrapped, or the
 * architecture retrained on the members). Every defense setting of the audit is checked
 * against the data before anything is trained. The attacks see the defended model as in
 * a defense evaluation (defendedContext): shadow attacks against a training-time defense
 * use shadows retrained with it.
 */
import type { AttackContext, AttackContextOptions } from './attack-context';
import { createAttackContext } from './attack-context';
import type { ModelOutputs } from './model-outputs';
import type { AuditHooks } from './progress';
import type { AuditSpec } from '../manifest/types';
import { applyDefense, checkDefenseSettings, defenseCacheDir } from '../defenses/apply';
import { defendedContext } from './defense-evaluation';
import type { TrainDefendedModel } from '../defenses/training/types';

export interface AuditedModel {
  outputs: ModelOutputs;
  context: AttackContext;
  /** The undefended target's context (the same as `context` without a defense), for the defense evaluation's baseline. */
  base: AttackContext;
  /** AuditResult.appliedDefense: the configuration, with DP-SGD's accounted privacy. */
  appliedDefense?: Record<string, unknown>;
  /** Delta of the empirical epsilon bounds: the manifest's privacy claim, else the applied DP-SGD's. */
  boundDelta?: number;
  /** Releases the contexts and a retrained model; never the target. */
  dispose(): void;
}

export async function prepareAuditedModel(
  spec: AuditSpec,
  target: ModelOutputs,
  where: { root: string; hooks: AuditHooks; options: AttackContextOptions },
  train: TrainDefendedModel,
  onStage?: (stage: string) => void,
): Promise<AuditedModel> {
  const members = target.members.dataset.count;
  const numClasses = target.model.numClasses;
  const manifestFile = where.options.manifestFile ?? spec.model;
  for (const d of [...(spec.defense ? [spec.defense] : []), ...(spec.defenses?.evaluate ?? [])]) checkDefenseSettings(d, members, numClasses, manifestFile);
  const applied = spec.defense;
  if (!applied) {
    const context = createAttackContext(spec, target, where.root, where.hooks, where.options);
    return { outputs: target, context, base: context, boundDelta: spec.privacy?.delta, dispose: () => context.dispose() };
  }
  onStage?.(`defense ${applied.name}: ${applied.kind === 'training' ? 'retraining' : 'applying'}`);
  const defended = await applyDefense(applied, target, {
    audit: spec,
    manifestFile: where.options.manifestFile,
    cacheDir: defenseCacheDir(where.root, where.options.cacheDir),
    workers: where.options.workers,
    train,
    signal: where.hooks.signal,
    onProgress: (done, total) => onStage?.(`defense ${applied.name}: retraining ${done}/${total}`),
  });
  const baseContext = createAttackContext(spec, target, where.root, where.hooks, where.options);
  const context = defendedContext({ spec, ...where }, baseContext, defended, applied, train);
  return {
    outputs: defended.outputs,
    context,
    base: baseContext,
    appliedDefense: { ...applied.config, ...(defended.dp ? { dp: defended.dp } : {}) },
    boundDelta: spec.privacy?.delta ?? defended.dp?.delta,
    dispose: () => {
      context.dispose();
      baseContext.dispose();
      defended.dispose();
    },
  };
}
