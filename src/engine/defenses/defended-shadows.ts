/**
 * Shadow models trained with a training-time defense: the adaptive attacker of the
 * literature, whose shadows follow the same recipe as the defended target. The keep
 * matrix and the training sets are the plain shadows' (same seed, same records in the
 * same shadows, shadow/index.ts), so plain and defended shadow attacks compare record for
 * record; each shadow is then retrained by the defended-model trainer with the defense's
 * params and retraining settings (its own seed per shadow), and scored like a plain
 * shadow: every audit record under every query variant, and every population record.
 * The trainer caches each model by content hash, so a re-run only scores.
 */
import { forEachBounded } from '../bounded';
import type { Dataset } from '../artifacts/dataset';
import type { Classifier } from '../artifacts/models';
import type { QueryVariant } from '../attacks/augmentations';
import { throwIfCancelled } from '../cancellation';
import { currentBackend } from '../backend';
import { shadowSplit, type ShadowHooks, type ShadowOutputs } from '../shadow';
import { resolveOptimizer } from '../shadow/optimizer';
import { ProgressTracker } from '../shadow/progress-tracker';
import { deriveSeed } from '../shadow/random';
import { buildRecordStore, gatherFeatures, type RecordStore } from '../shadow/record-store';
import { emptyScores, scoringChunks, type ShadowScores } from '../shadow/scoring';
import { checkRecords, checkSettings, settingError, type SettingsSource, type ShadowSettings } from '../shadow/settings';
import { shadowRefusal } from '../manifest/shadowless-defenses';
import { NEEDS_REFERENCE } from './training/params';
import { spareCores } from './training';
import type { DefendExecutor, DefendedShadowSource } from './training/defend-pool';
import { recordsDigest } from '../shadow/cache-key';
import type { DefendedTrainingRequest, TrainDefendedModel, TrainingDefenseSpec } from './training/types';

export interface DefendedShadowRequest {
  /** model.json (or other format) whose architecture every shadow retrains, as the defended target does. */
  architectureFile: string;
  /** The target's model file, for the trainer's request (only kl-pruning reads it, and it is refused here). */
  targetModelFile: string;
  /** Members then non-members of the audit, concatenated (the records to score). */
  auditRecords: Dataset;
  /** Fills the shadows' training sets, is scored, and is the reference of defenses that need one. */
  population?: Dataset;
  numClasses: number;
  /** The audit's shadow settings: count, seed, trainSize and queries decide the keep matrix, training sets and scoring. */
  settings: ShadowSettings;
  settingsSource?: SettingsSource;
  /** The defense as the target was retrained with it; each shadow gets its own seed. */
  defense: TrainingDefenseSpec;
  train: TrainDefendedModel;
  /** Cache of defended models (the trainer's). */
  cacheDir: string;
  /** As the trainer's: 0 trains one shadow at a time in this thread; n trains n shadows at once, each on a worker thread. Default: one per core but one. */
  workers?: number;
  manifestFile?: string;
  /** Where each shadow trains when not cached (the queue's executor, docs/distributed.md); default: local threads. */
  executorFor?: (source: DefendedShadowSource) => DefendExecutor;
}

export async function trainDefendedShadows(req: DefendedShadowRequest, hooks: ShadowHooks = {}): Promise<ShadowOutputs> {
  const { settings, auditRecords, population, numClasses, defense } = req;
  const refusal = shadowRefusal(defense.name);
  if (refusal !== undefined) throw new Error(`shadow models cannot be trained with "${defense.name}": ${refusal}; shadow-model attacks are not run against it`);
  throwIfCancelled(hooks.signal);
  const variants = checkSettings(settings, req.settingsSource);
  checkRecords(auditRecords, population, numClasses, variants, req.settingsSource);

  // Exactly the plain shadows' split (trainShadowModels), so the two runs compare record for record.
  const S = settings.count;
  const { keep, sets } = shadowSplit(req);
  const store = buildRecordStore(auditRecords, population);
  const digest = req.executorFor ? recordsDigest(store, numClasses) : '';
  const needsReference = NEEDS_REFERENCE.has(defense.name);
  // Checked for every shadow before the first is trained; each reference is built when its shadow trains.
  if (needsReference) for (let s = 0; s < S; s++) referenceIndices(store, sets.populationKeep, S, s, req);

  const samplesTotal = sets.members.reduce((sum, m) => sum + m.length * defense.train.epochs, 0);
  const progress = new ProgressTracker(0, S, samplesTotal, hooks.onProgress);
  const auditProbabilities: Float32Array[] = new Array(S);
  const populationProbabilities: Float32Array[] = new Array(S);
  let trained = 0;
  let samples = 0;
  const started = performance.now();

  // On a queue every shadow is enqueued at once (the workers set the parallelism); locally, one thread per shadow.
  const concurrency = req.executorFor ? S : req.workers === 0 ? 1 : Math.max(1, Math.min(S, req.workers ?? spareCores()));
  // Every shadow settles before this returns, so no training outlives a failure.
  await forEachBounded(Array.from({ length: S }, (_, s) => s), concurrency, () => false, async (s) => {
    throwIfCancelled(hooks.signal);
    const reference = needsReference ? referenceIndices(store, sets.populationKeep, S, s, req) : undefined;
    const request: DefendedTrainingRequest = {
      architectureFile: req.architectureFile,
      targetModelFile: req.targetModelFile,
      members: datasetOf(store, sets.members[s], `${auditRecords.source} (shadow ${s})`),
      ...(reference ? { reference: datasetOf(store, reference, `${population?.source ?? 'population'} (reference of shadow ${s})`) } : {}),
      numClasses,
      defense: { ...defense, params: { ...defense.params }, train: { ...defense.train, seed: deriveSeed(defense.train.seed, 'defended-shadow', s) } },
      cacheDir: req.cacheDir,
      // Parallelism is across shadows here: each shadow's training gets one thread at most.
      workers: req.workers === 0 ? 0 : 1,
      ...(req.manifestFile ? { manifestFile: req.manifestFile } : {}),
      ...(req.executorFor ? { executor: req.executorFor({ shadow: s, store, recordsDigest: digest, members: sets.members[s]!, ...(reference ? { reference } : {}) }) } : {}),
    };
    let reported = 0;
    const model = await req.train(request, {
      signal: hooks.signal,
      onProgress: (done) => {
        if (done > reported) progress.addSamples(done - reported);
        reported = Math.max(reported, done);
      },
    });
    try {
      if (!model.fromCache) {
        trained++;
        samples += model.samples ?? reported;
      }
      const scores = await scoreDefendedShadow(model.classifier, store, variants, numClasses, hooks.signal);
      auditProbabilities[s] = scores.audit[0]!;
      if (scores.population) populationProbabilities[s] = scores.population[0]!;
    } finally {
      model.classifier.dispose();
    }
    progress.modelDone();
  });

  const seconds = (performance.now() - started) / 1000;
  return {
    shadows: S,
    queries: variants.length,
    numClasses,
    keep,
    populationKeep: population !== undefined ? sets.populationKeep : undefined,
    auditProbabilities,
    populationProbabilities: population !== undefined ? populationProbabilities : undefined,
    trained,
    fromCache: S - trained,
    samplesPerSecond: trained > 0 && seconds > 0 ? samples / seconds : 0,
    trainer: 'per-model',
    trainerNote: `each shadow retrained with the "${defense.name}" defense, like the defended target`,
    optimizer: resolveOptimizer(undefined, defense.train),
    backend: trained > 0 ? currentBackend()?.name ?? '' : '',
    workers: trained > 0 ? concurrency : 0,
  };
}

/**
 * A defended shadow's outputs in the plain shadows' layout (shadow/scoring.ts): audit
 * records x query variants x classes, variants from the same augmentation code, and
 * population records under the identity query.
 */
export async function scoreDefendedShadow(
  model: Classifier,
  store: RecordStore,
  variants: readonly QueryVariant[],
  numClasses: number,
  signal?: AbortSignal,
): Promise<ShadowScores> {
  const scores = emptyScores(store, variants.length, numClasses, 1);
  for (const chunk of scoringChunks(store, variants, numClasses)) {
    throwIfCancelled(signal);
    const probabilities = await model.predictProbabilities(chunk.features, store.featureShape, chunk.rows, { signal });
    (chunk.part === 'audit' ? scores.audit : scores.population!)[0]!.set(probabilities.subarray(0, chunk.rows * numClasses), chunk.offset);
  }
  return scores;
}

/** Records `indices` of the store (audit then population index space) as a Dataset. */
function datasetOf(store: RecordStore, indices: Int32Array, source: string): Dataset {
  const features = gatherFeatures(store, indices, new Float32Array(indices.length * store.size));
  const labels = Int32Array.from(indices, (r) => store.labels[r]!);
  return { source, count: indices.length, featureShape: [...store.featureShape], features, labels };
}

/**
 * A shadow's defender-side reference records: the population records outside its training
 * set (store indices), as the target's reference (the population) is disjoint from its members.
 */
function referenceIndices(store: RecordStore, populationKeep: Uint8Array, shadows: number, s: number, req: DefendedShadowRequest): Int32Array {
  const outside: number[] = [];
  for (let p = 0; p < store.populationCount; p++) if (populationKeep[p * shadows + s] === 0) outside.push(store.auditCount + p);
  if (outside.length === 0) {
    throw settingError(req.settingsSource, 'trainSize',
      `the "${req.defense.name}" defense needs reference records outside each shadow's training set, but shadow ${s} trains on ${store.populationCount === 0 ? 'an audit without population' : `all ${store.populationCount} population records`}; lower trainSize or add population records`);
  }
  return Int32Array.from(outside);
}



