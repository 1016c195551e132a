/**
 * Produces a defended model from the undefended target's outputs, in the shape every attack
 * reads (ModelOutputs): inference-time defenses wrap the target's Classifier so every query,
 * augmented ones included, is served through the transform; training-time defenses retrain
 * the architecture on the members (trainDefendedModel) and query the retrained model.
 */
import * as path from 'node:path';
import type { Dataset } from '../artifacts/dataset';
import type { Classifier, PredictOptions } from '../artifacts/models';
import type { GroupOutputs, ModelOutputs } from '../artifacts/model-outputs';
import { InputError } from '../errors';
import type { AuditSpec, DefenseSpec, JsonPath } from '../manifest/types';
import { formatPath } from '../manifest/wording';
import { fitMemGuard } from './memguard';
import { fitPurifier } from './purifier';
import { gaussianNoise, labelsOnly, reverseSigmoid, roundProbabilities, topK } from './output-defenses';
import type { DefendedModel, TrainDefendedModel, TrainingDefenseName, TrainingDefenseSpec } from './training/types';

/** Served probabilities (records x classes) -> defended probabilities, row by row. */
export type OutputTransform = (probabilities: Float32Array) => Float32Array;

export interface DefendedOutputs {
  outputs: ModelOutputs;
  kind: DefenseSpec['kind'];
  /** Inference-time: the transform, which an adaptive attacker also applies to its shadows' outputs. */
  transform?: OutputTransform;
  dp?: DefendedModel['dp'];
  /** Training-time: the retrained model's model.json when it is one TF.js Layers model (the white-box attack reads its weights). */
  weightsFile?: string;
  /** Training-time without weightsFile: why the retrained model offers no gradient access. */
  noWeights?: string;
  notes: string[];
  /** Releases what the defense created (a retrained model); never the target. */
  dispose(): void;
}

export interface ApplyDefenseContext {
  audit: AuditSpec;
  manifestFile?: string;
  cacheDir: string;
  workers?: number;
  train: TrainDefendedModel;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** A setting that cannot work with this audit's data or model, found before any training; it names the manifest key. */
export class DefenseSettingError extends InputError {
  constructor(message: string, file: string, readonly manifestPath: JsonPath) {
    super(message, { file, field: formatPath(manifestPath) });
  }
}

/**
 * Settings the schema cannot check because they depend on the data or the model: a DP-SGD
 * sampling rate above 1 (batchSize > members), k above the number of classes. Checked for
 * every defense before the first one is trained.
 */
export function checkDefenseSettings(spec: DefenseSpec, members: number, numClasses: number, manifestFile: string): void {
  if (spec.name === 'dp-sgd' && spec.train && spec.train.batchSize > members) {
    throw new DefenseSettingError(
      `DP-SGD's sampling rate batchSize / members = ${spec.train.batchSize} / ${members} is above 1; expected batchSize <= ${members}${spec.config['batchSize'] === undefined ? ' (the default comes from shadow.batchSize; set "batchSize" on the defense)' : ''}.`,
      manifestFile,
      [...spec.path, 'batchSize'],
    );
  }
  if (spec.name === 'top-k' && spec.params['k']! > numClasses) {
    throw new DefenseSettingError(`top-k keeps k = ${spec.params['k']} probabilities, but the model has ${numClasses} classes; expected k <= ${numClasses}.`, manifestFile, [...spec.path, 'k']);
  }
  if (spec.name === 'ensemble' && spec.params['members']! > members) {
    throw new DefenseSettingError(`the ensemble defense splits ${members} members among ${spec.params['members']} models; expected at most ${members} models.`, manifestFile, [...spec.path, 'members']);
  }
}

/** The transform of an inference-time defense; MemGuard first fits its classifier on the defender's data. */
export function outputTransform(spec: DefenseSpec, target: ModelOutputs): OutputTransform {
  const numClasses = target.model.numClasses;
  const p = spec.params;
  switch (spec.name) {
    case 'top-k':
      return (probs) => topK(probs, numClasses, p['k']!);
    case 'rounding':
      return (probs) => roundProbabilities(probs, numClasses, p['decimals']!);
    case 'labels-only':
      return (probs) => labelsOnly(probs, numClasses);
    case 'reverse-sigmoid':
      return (probs) => reverseSigmoid(probs, numClasses, p['beta']!, p['gamma']!);
    case 'gaussian-noise':
      return (probs) => gaussianNoise(probs, numClasses, p['sigma']!, p['seed']!);
    case 'memguard': {
      // The defender knows its training records (members) and holds reference records
      // (population); never the audit's non-members.
      if (!target.population) throw new Error('MemGuard needs reference records: add "population" to the audit');
      const defense = fitMemGuard({ training: target.members.probabilities, reference: target.population.probabilities }, numClasses, { epsilon: p['epsilon']!, seed: p['seed']! });
      let stream = 0;
      return (probs) => defense.defend(probs, stream++).probabilities;
    }
    case 'purifier': {
      // Fitted on the defender's reference outputs only (population), never on the non-members.
      if (!target.population) throw new Error('PURIFIER needs reference records: add "population" to the audit');
      const defense = fitPurifier(target.population.probabilities, numClasses, { seed: p['seed']!, hiddenUnits: p['hiddenUnits']! });
      return (probs) => defense.reshape(probs);
    }
  }
  throw new Error(`"${spec.name}" is not an inference-time defense`);
}

/** The target's Classifier with every answer passed through `transform`; disposing it leaves the target alone. */
export function defendedClassifier(target: Classifier, transform: OutputTransform): Classifier {
  return {
    file: target.file,
    format: target.format,
    inputShape: target.inputShape,
    numClasses: target.numClasses,
    parameterCount: target.parameterCount,
    predictProbabilities: async (features: Float32Array, featureShape: number[], count: number, options?: PredictOptions) =>
      transform(await target.predictProbabilities(features, featureShape, count, options)),
    dispose: () => undefined,
  };
}

export async function applyDefense(spec: DefenseSpec, target: ModelOutputs, ctx: ApplyDefenseContext): Promise<DefendedOutputs> {
  if (spec.kind === 'inference') {
    const transform = outputTransform(spec, target);
    const served = (g: GroupOutputs): GroupOutputs => ({ dataset: g.dataset, probabilities: transform(g.probabilities) });
    return {
      outputs: {
        model: defendedClassifier(target.model, transform),
        members: served(target.members),
        nonMembers: served(target.nonMembers),
        population: target.population ? served(target.population) : undefined,
      },
      kind: 'inference',
      transform,
      notes: [],
      dispose: () => undefined,
    };
  }
  const defended = await ctx.train(
    {
      architectureFile: ctx.audit.shadow.architecture ?? ctx.audit.model,
      targetModelFile: ctx.audit.model,
      members: target.members.dataset,
      reference: target.population?.dataset,
      numClasses: target.model.numClasses,
      defense: trainingSpecOf(spec),
      cacheDir: ctx.cacheDir,
      // The audit's 0 means "one per core"; the trainer's 0 means "in this thread".
      ...(ctx.workers ? { workers: ctx.workers } : {}),
      ...(ctx.manifestFile ? { manifestFile: ctx.manifestFile } : {}),
    },
    { signal: ctx.signal, onProgress: ctx.onProgress },
  );
  const model = defended.classifier;
  try {
    const predict = async (ds: Dataset): Promise<GroupOutputs> => ({
      dataset: ds,
      probabilities: await model.predictProbabilities(ds.features, ds.featureShape, ds.count, { signal: ctx.signal }),
    });
    const outputs: ModelOutputs = {
      model,
      members: await predict(target.members.dataset),
      nonMembers: await predict(target.nonMembers.dataset),
      population: target.population ? await predict(target.population.dataset) : undefined,
    };
    const notes = [...defended.notes];
    if (defended.fromCache) notes.push('Defended model read from the cache.');
    else if (defended.samplesPerSecond > 0) notes.push(`Retrained at ${Math.round(defended.samplesPerSecond)} samples/s.`);
    const weights = model.format === 'tfjs-layers' && model.file.toLowerCase().endsWith('.json')
      ? { weightsFile: model.file }
      : { noWeights: model.format === 'ensemble' ? 'the retrained model is an ensemble whose outputs are averaged, not one model with gradients' : `the retrained model (${model.format}) offers no gradient access` };
    return { outputs, kind: 'training', dp: defended.dp, ...weights, notes, dispose: () => model.dispose() };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** A training-time defense as the trainer takes it: its params and retraining settings. */
export function trainingSpecOf(spec: DefenseSpec): TrainingDefenseSpec {
  if (spec.kind !== 'training' || spec.train === undefined) throw new Error(`"${spec.name}" is not a training-time defense`);
  return { name: spec.name as TrainingDefenseName, params: { ...spec.params }, train: { ...spec.train } };
}

/** Where retrained models are cached: beside the shadow models. */
export function defenseCacheDir(root: string, shadowCacheDir?: string): string {
  return shadowCacheDir ? path.join(shadowCacheDir, 'defenses') : path.join(root, '.privacy-lint-cache', 'defenses');
}
