/**
 * Runs the audits of a manifest: model outputs -> signals -> attacks -> results.
 * One failing attack is recorded and the others still run; one failing audit becomes an
 * invalid-input finding and the other audits still run; a cancel keeps finished audits.
 */
import * as path from 'node:path';
import { isInputError } from '../errors';
import type { AuditSpec } from '../manifest';
import type { AttackResult, AuditResult, DatasetSummary } from '../report/schema';
import type { Dataset } from '../artifacts/dataset';
import { buildAttackResult } from './attack-result';
import { computeModelOutputs } from './model-outputs';
import { createAttackContext, type AttackContextOptions } from './attack-context';
import { runAttack } from './run-attack';
import { throwIfCancelled, type AuditHooks } from './progress';
import { accuracy, classCountsOf } from './record-checks';

export interface AuditRun {
  result: AuditResult;
  /** Datasets kept for the ground-truth checks of the findings step. */
  members: Dataset;
  nonMembers: Dataset;
  numClasses: number;
}


export async function runAudit(spec: AuditSpec, root: string, hooks: AuditHooks = {}, options: AttackContextOptions = {}): Promise<AuditRun> {
  const started = Date.now();
  const total = spec.attacks.length + 1;
  const report = (stage: string, done: number) => hooks.onProgress?.({ audit: spec.name, stage, done, total });
  const outputs = await computeModelOutputs(spec, hooks.signal, (stage) => report(stage, 0));
  const ctx = createAttackContext(spec, outputs, root, hooks, options);
  try {
    const numClasses = outputs.model.numClasses;
    const attacks: AttackResult[] = [];
    const errors: AuditResult['errors'] = [];
    for (const [i, id] of spec.attacks.entries()) {
      throwIfCancelled(hooks.signal);
      report(`attack ${id}`, i + 1);
      try {
        const run = await runAttack(id, ctx);
        attacks.push(buildAttackResult(run.description, run.scores, outputs.members.dataset.labels, outputs.nonMembers.dataset.labels, numClasses, spec.privacy?.delta));
      } catch (e) {
        const name = (e as Error).name;
        if (name === 'CancelledError' || name === 'AbortError' || hooks.signal?.aborted) throw e;
        // A problem with the user's files stops the audit (it is reported on the manifest);
        // anything else is this attack's failure, recorded while the other attacks run.
        if (isInputError(e)) throw e;
        errors.push({ attack: id, message: (e as Error).message });
      }
    }
    report('done', total);
    const summary = (ds: Dataset): DatasetSummary => ({
      file: relativeTo(root, ds.source), count: ds.count, featureShape: ds.featureShape, classCounts: classCountsOf(ds, numClasses),
    });
    const result: AuditResult = {
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
      durationMs: Date.now() - started,
    };
    return { result, members: outputs.members.dataset, nonMembers: outputs.nonMembers.dataset, numClasses };
  } finally {
    ctx.dispose();
    outputs.model.dispose();
  }
}

export function relativeTo(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
}
