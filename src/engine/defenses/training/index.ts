/**
 * Defended retraining (issue #5): the target's architecture retrained on the audit's
 * members with one training-time defense, in the shadow worker threads, cached by
 * content hash. See types.ts for the contract and job.ts for the training itself.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordSize, type Dataset } from '../../artifacts/dataset';
import type { Classifier } from '../../artifacts/models';
import { loadTfjsLayersModel } from '../../artifacts/models/tfjs-layers-model';
import { CancelledError } from '../../cancellation';
import { initBackend } from '../../backend';
import { InputError } from '../../errors';
import { readArchitecture } from '../../shadow/architecture';
import { defaultArchitectureNote } from '../../shadow/default-architecture';
import type { OptimizerSpec } from '../../shadow/optimizer';
import type { StepHooks } from '../../shadow/step-hooks';
import { commitEntry, defendedKey, entryDir, modelDir, readEntry, removeStaleEntries, startEntry, type DefendedMeta } from './defended-cache';
import { EnsembleClassifier } from '../../artifacts/models/ensemble-classifier';
import { runDefendJobs } from './defend-pool';
import { runDefendJob, type DefendJob, type DefendJobResult } from './job';
import { checkDefenseSpec, NEEDS_REFERENCE, param } from './params';
import { memberShares } from './shares';
import type { DefendedModel, DefendedTrainingHooks, DefendedTrainingRequest, TrainDefendedModel } from './types';
export type * from './types';

/** tfjs's default Adam epsilon for float32, as the shadows use. */
const ADAM_EPSILON = 1e-7;

export const trainDefendedModel: TrainDefendedModel = async (req, hooks = {}) => {
  if (hooks.signal?.aborted) throw new CancelledError();
  const { defense } = req;
  checkRequest(req);
  const architecture = await readArchitecture(req.architectureFile);
  // The retraining settings are explicit in the spec (defaults from the shadow settings).
  const optimizer: OptimizerSpec = {
    kind: defense.train.optimizer, learningRate: defense.train.learningRate,
    beta1: 0.9, beta2: 0.999, epsilon: ADAM_EPSILON, source: 'settings',
  };
  const key = defendedKey({ ...req, architecture, optimizer });
  await initBackend('auto');

  // Said on every result, cached or not; kept out of the cache, whose key has the topology but not the file's name.
  const architectureNotes = architecture.defaulted ? [defaultArchitectureNote(architecture.defaulted, 'retrained')] : [];
  const cached = readEntry(req.cacheDir, key);
  if (cached !== undefined) {
    return { classifier: await loadEntry(entryDir(req.cacheDir, key), cached), dp: cached.dp, fromCache: true, samplesPerSecond: 0, samples: 0, notes: [...architectureNotes, ...cached.notes] };
  }

  const models = defense.name === 'ensemble' ? param(defense, 'members') : 1;
  const shares = memberShares(req.members.count, models, defense.train.seed);
  removeStaleEntries(req.cacheDir);
  const tmp = startEntry(req.cacheDir, key);
  try {
    // In shared memory, so worker threads read the records instead of each getting a copy.
    const members = sharedCopy(req.members);
    const reference = NEEDS_REFERENCE.has(defense.name) && req.reference ? sharedCopy(req.reference) : undefined;
    const jobs: DefendJob[] = shares.map((share, i) => ({
      architecture, targetModelFile: req.targetModelFile, members, share, reference,
      numClasses: req.numClasses, defense, optimizer, modelIndex: i, outDir: modelDir(tmp, i), backend: 'auto',
    }));
    const total = shares.reduce((s, share) => s + share.length * defense.train.epochs, 0);
    let done = 0;
    const onSamples = (count: number): void => {
      done += count;
      hooks.onProgress?.(Math.min(done, total), total);
    };
    const started = performance.now();
    const workers = req.workers ?? Math.min(jobs.length, spareCores());
    const results = req.executor ? await req.executor({ jobs, workers, signal: hooks.signal, onSamples })
      : workers === 0 ? await runInThisThread(jobs, hooks, onSamples) : await runDefendJobs({ jobs, workers, signal: hooks.signal, onSamples });
    const seconds = (performance.now() - started) / 1000;
    hooks.onProgress?.(total, total);
    const notes = collectNotes(results, models, req.members.count);
    const dp = results[0]?.dp;
    const { final, meta } = commitEntry(req.cacheDir, tmp, { key, models, notes, dp });
    if (meta === undefined) throw new Error(`the defended model just written to ${final} does not verify`);
    const samples = results.reduce((s, r) => s + r.samples, 0);
    const model: DefendedModel = { classifier: await loadEntry(final, meta), dp, fromCache: false, samplesPerSecond: seconds > 0 ? samples / seconds : 0, samples, notes: [...architectureNotes, ...notes] };
    return model;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
};

function sharedCopy(data: Dataset): Dataset {
  const size = recordSize(data.featureShape);
  const features = new Float32Array(new SharedArrayBuffer(data.count * size * 4));
  features.set(data.features.subarray(0, data.count * size));
  const labels = new Int32Array(new SharedArrayBuffer(data.count * 4));
  labels.set(data.labels.subarray(0, data.count));
  return { source: data.source, count: data.count, featureShape: [...data.featureShape], features, labels };
}

function checkRequest(req: DefendedTrainingRequest): void {
  const where = { file: req.manifestFile ?? req.architectureFile };
  checkDefenseSpec(req.defense, where);
  const { members, reference, defense } = req;
  if (members.count < 2) throw new InputError(`defended retraining needs at least 2 member records, got ${members.count}`, { file: members.source });
  if (!Number.isInteger(req.numClasses) || req.numClasses < 2) {
    throw new InputError(`numClasses must be an integer >= 2, got ${req.numClasses}`, { ...where, field: 'numClasses' });
  }
  const badLabel = members.labels.subarray(0, members.count).findIndex((l) => l < 0 || l >= req.numClasses);
  if (badLabel >= 0) {
    throw new InputError(`label ${members.labels[badLabel]} is outside 0..${req.numClasses - 1}`, { file: members.source, record: badLabel });
  }
  if (NEEDS_REFERENCE.has(defense.name)) {
    if (reference === undefined || reference.count === 0) {
      throw new InputError(`the ${defense.name} defense needs defender-side reference records (a population dataset)`, { ...where, field: 'reference' });
    }
    if (recordSize(reference.featureShape) !== recordSize(members.featureShape)) {
      throw new InputError(`reference records have ${recordSize(reference.featureShape)} values each but members have ${recordSize(members.featureShape)}`, { file: reference.source });
    }
  }
  if (defense.name === 'kl-pruning' && !req.targetModelFile.toLowerCase().endsWith('.json')) {
    // Fine-tuning starts from the target's weights, which we read from TF.js Layers files only.
    throw new InputError('the kl-pruning defense needs the target as a TensorFlow.js Layers model.json (its trained weights are the starting point)', { file: req.targetModelFile });
  }
  if (defense.name === 'ensemble' && param(defense, 'members') > members.count) {
    throw new InputError(`an ensemble of ${param(defense, 'members')} models needs at least that many member records, got ${members.count}`, { ...where, field: 'defense.ensemble.params.members' });
  }
}

async function runInThisThread(jobs: DefendJob[], hooks: DefendedTrainingHooks, onSamples: (count: number) => void): Promise<DefendJobResult[]> {
  const stepHooks: StepHooks = {
    throwIfStopped: () => {
      if (hooks.signal?.aborted) throw new CancelledError();
    },
    onSamples,
  };
  const results: DefendJobResult[] = [];
  for (const job of jobs) results.push(await runDefendJob(job, stepHooks));
  return results;
}

function collectNotes(results: DefendJobResult[], models: number, memberCount: number): string[] {
  const notes = [...new Set(results.flatMap((r) => r.notes))];
  if (models > 1) notes.unshift(`ensemble of ${models} models, each trained on a disjoint share of about ${Math.floor(memberCount / models)} members; outputs averaged`);
  return notes;
}

async function loadEntry(dir: string, meta: DefendedMeta): Promise<Classifier> {
  const classifiers: Classifier[] = [];
  try {
    for (let i = 0; i < meta.models; i++) classifiers.push(await loadTfjsLayersModel(path.join(modelDir(dir, i), 'model.json')));
  } catch (e) {
    for (const c of classifiers) c.dispose();
    throw e;
  }
  return classifiers.length === 1 ? classifiers[0] : new EnsembleClassifier(classifiers);
}

/** Default threads for defended training: every core but one (the caller keeps running). */
export function spareCores(): number {
  return Math.max(1, os.availableParallelism() - 1);
}
