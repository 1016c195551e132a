/**
 * What the attacks of one audit share, computed once and only when an attack needs it:
 * the target's signals, its outputs on augmented queries, the shadow models' outputs
 * (trained or read from the cache) and the white-box view of the target.
 */
import * as path from 'node:path';
import type { Dataset } from '../artifacts/dataset';
import { loadWhiteBoxModel, type WhiteBoxModel } from '../artifacts/models/gradient-access';
import { augmentRecords, queryVariants, type QueryName } from '../attacks/augmentations';
import { computeSignals, type SignalScores } from '../attacks/signals';
import type { AuditSpec } from '../manifest';
import { queuedShadowExecutor } from '../queue/queue-executor';
import { parseQueueUrl } from '../queue/queue-url';
import { trainShadowModels, type ShadowHooks, type ShadowOutputs, type ShadowRequest } from '../shadow';
import { sharedAuditRecords } from '../shadow/record-store';
import type { ModelOutputs } from './model-outputs';
import type { AuditHooks } from './progress';
import type { TargetQueryProbabilities } from './shadow-attack-inputs';

export interface AttackContext {
  spec: AuditSpec;
  outputs: ModelOutputs;
  numClasses: number;
  /** Members then non-members: the records every shadow-model attack scores. */
  auditRecords: Dataset;
  signals: { members: SignalScores; nonMembers: SignalScores; population?: SignalScores };
  shadows(): Promise<ShadowOutputs>;
  targetQueries(): Promise<TargetQueryProbabilities>;
  whiteBox(): Promise<WhiteBoxModel>;
  hooks: AuditHooks;
  dispose(): void;
}

/**
 * What every kind of shadow (plain, queued, retrained with a defense) of an audit is
 * trained on: the shadow architecture, the audit records, the population and the audit's
 * shadow settings (training-set size defaulting to the number of members).
 */
export function auditShadowRequest(
  spec: AuditSpec,
  target: { auditRecords: Dataset; outputs: ModelOutputs; numClasses: number },
  options: AttackContextOptions,
): Pick<ShadowRequest, 'architectureFile' | 'auditRecords' | 'population' | 'numClasses' | 'settings' | 'settingsSource'> {
  return {
    architectureFile: spec.shadow.architecture ?? spec.model,
    auditRecords: target.auditRecords,
    population: target.outputs.population?.dataset,
    numClasses: target.numClasses,
    settings: { ...spec.shadow, trainSize: spec.shadow.trainSize ?? target.outputs.members.dataset.count, workers: options.workers ?? 0 },
    ...(options.manifestFile ? { settingsSource: { file: options.manifestFile, fieldPrefix: `audits[${spec.index}].shadow` } } : {}),
  };
}

/** Shadow training progress as audit progress: "<label> 3/16, 5400 samples/s, 12 s left". */
export function shadowProgressHooks(spec: AuditSpec, hooks: AuditHooks, label: string): ShadowHooks {
  return {
    signal: hooks.signal,
    onProgress: (p) =>
      hooks.onProgress?.({
        audit: spec.name,
        stage: `${label} ${p.done}/${p.total}, ${Math.round(p.samplesPerSecond)} samples/s${Number.isFinite(p.etaSeconds) ? `, ${Math.ceil(p.etaSeconds)} s left` : ''}`,
        done: p.done,
        total: p.total,
      }),
  };
}

export interface AttackContextOptions {
  /** Folder of the shadow-model cache; default `.privacy-lint-cache/shadows` beside the manifest. */
  cacheDir?: string;
  workers?: number;
  /** Redis URL of a BullMQ queue: shadows train on its workers (docs/distributed.md). */
  queueUrl?: string;
  /** The manifest the audit came from, so shadow-setting errors name its key. */
  manifestFile?: string;
}

export function createAttackContext(spec: AuditSpec, outputs: ModelOutputs, root: string, hooks: AuditHooks, options: AttackContextOptions = {}): AttackContext {
  const numClasses = outputs.model.numClasses;
  const signalsOf = (probabilities: Float32Array, ds: Dataset) => computeSignals(probabilities, numClasses, ds.labels);
  // Laid out as the shadows' record store, so shadow training does not copy them again.
  const auditRecords = sharedAuditRecords(outputs.members.dataset, outputs.nonMembers.dataset, outputs.population?.dataset.count ?? 0);
  let shadows: Promise<ShadowOutputs> | undefined;
  let queries: Promise<TargetQueryProbabilities> | undefined;
  let whiteBox: Promise<WhiteBoxModel> | undefined;
  const context: AttackContext = {
    spec,
    outputs,
    numClasses,
    auditRecords,
    signals: {
      members: signalsOf(outputs.members.probabilities, outputs.members.dataset),
      nonMembers: signalsOf(outputs.nonMembers.probabilities, outputs.nonMembers.dataset),
      population: outputs.population ? signalsOf(outputs.population.probabilities, outputs.population.dataset) : undefined,
    },
    shadows: () =>
      (shadows ??= trainShadowModels(
        {
          ...auditShadowRequest(spec, { auditRecords, outputs, numClasses }, options),
          cacheDir: options.cacheDir ?? path.join(root, '.privacy-lint-cache', 'shadows'),
          ...(options.queueUrl ? { executor: queuedShadowExecutor(parseQueueUrl(options.queueUrl), auditRecords.source) } : {}),
        },
        shadowProgressHooks(spec, hooks, 'shadow models'),
      )),
    targetQueries: () => (queries ??= predictQueries(outputs, auditRecords, spec.shadow.queries, hooks.signal)),
    whiteBox: () => (whiteBox ??= loadWhiteBoxModel(spec.model)),
    hooks,
    dispose: () => {
      void whiteBox?.then((m) => m.dispose?.()).catch(() => undefined);
    },
  };
  return context;
}

/** The target's probabilities on every query variant of every audit record: records x queries x classes. */
async function predictQueries(outputs: ModelOutputs, records: Dataset, names: readonly QueryName[], signal?: AbortSignal): Promise<TargetQueryProbabilities> {
  const variants = queryVariants(names);
  // augmentRecords lays variants out record after record, so the predictions come back
  // already in records x queries x classes order.
  const augmented = augmentRecords(records.features, records.featureShape, 0, records.count, variants);
  const probabilities = await outputs.model.predictProbabilities(augmented, records.featureShape, records.count * variants.length, { signal });
  return { records: records.count, queries: variants.length, probabilities };
}
