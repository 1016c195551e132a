/**
 * Shadow (reference) models for LiRA, RMIA, Shokri's attack and difficulty calibration:
 * copies of the target's architecture with fresh weights, each trained on a seeded half
 * of the audit records (plus population records up to the target's training-set size;
 * see training-sets.ts), then scored on every audit record (under each query
 * augmentation) and on the population.
 *
 * Speed: shadows train in a pool of worker threads (one per core by default, each
 * computing on its own thread). Dense-stack models (MLPs) train S at a time on our own
 * WebAssembly SIMD kernels (stacked-mlp.ts, simd-kernels.ts); other architectures train
 * one tfjs-layers model at a time. Every shadow's outputs are cached on disk
 * (cache.ts), so a re-run, or a run resumed after a cancel or a crash, trains only the
 * shadows that are missing.
 */
import type { Dataset } from '../artifacts/dataset';
import { summariseShadow, type ShadowSummary } from '../attacks/shadow-statistics';
import { currentBackend } from '../backend';
import { readArchitecture, type DenseStack } from './architecture';
import { defaultArchitectureNote } from './default-architecture';
import { readCachedShadow, removeStaleTemporaries, writeCachedShadow, type CacheHeader } from './cache';
import { recordsDigest, runDigest, shadowKey } from './cache-key';
import { keepMatrix } from './keep-matrix';
import { resolveOptimizer, type OptimizerSpec } from './optimizer';
import { ProgressTracker, type ShadowProgress } from './progress-tracker';
import { buildRecordStore } from './record-store';
import { checkRecords, checkSettings, checkTrainSize, workerCount, type SettingsSource, type ShadowSettings } from './settings';
import type { GroupJob, GroupSetup } from './train-group';
import { trainerFor, type Trainer } from './trainer-choice';
import { buildTrainingSets } from './training-sets';
import { runWorkerPool, type PoolRun } from './worker-pool';

export { keepMatrix } from './keep-matrix';
export type { ShadowProgress } from './progress-tracker';
export type { ShadowSettings, SettingsSource } from './settings';

export interface ShadowRequest {
  /** model.json whose topology the shadows copy (fresh weights). */
  architectureFile: string;
  /** Members then non-members of the audit, concatenated (the records to score). */
  auditRecords: Dataset;
  /** Extra training data to fill shadow training sets; also scored (RMIA's z, Shokri's attack training). */
  population?: Dataset;
  numClasses: number;
  settings: ShadowSettings;
  cacheDir: string;
  /** Where the settings were written, so errors can point there (default: "shadow settings"). */
  settingsSource?: SettingsSource;
  /**
   * Runs the missing shadows' jobs elsewhere, e.g. on the workers of a BullMQ queue
   * (queue/queue-executor.ts, docs/distributed.md); default: local worker threads.
   * Injected, so shadow training knows nothing of the queue that builds on it.
   */
  executor?: ShadowExecutor;
}

/** Runs the jobs of a shadow run: the local worker-thread pool, or the distributed queue. */
export type ShadowExecutor = (run: PoolRun) => Promise<{ backend: string }>;

function executorFor(req: ShadowRequest): ShadowExecutor {
  return req.executor ?? runWorkerPool;
}

export interface ShadowOutputs {
  shadows: number;
  queries: number;
  numClasses: number;
  /** auditRecords.count x shadows, 1 = record was in that shadow's training set. */
  keep: Uint8Array;
  /** population.count x shadows. */
  populationKeep?: Uint8Array;
  /** Per shadow: auditRecords.count x queries x numClasses. */
  auditProbabilities: Float32Array[];
  /** Per shadow: population.count x numClasses (identity query only). */
  populationProbabilities?: Float32Array[];
  trained: number;
  fromCache: number;
  /** Training samples per second of wall time over the shadows trained in this run (0 if none). */
  samplesPerSecond: number;
  /** How the shadows of this run were trained, and why not stacked when not. */
  trainer: Trainer;
  trainerNote?: string;
  /** Said by every shadow-model attack when the shadows use a default architecture (black-box target). */
  architectureNote?: string;
  optimizer: OptimizerSpec;
  /** What the workers computed on: 'wasm-simd' (stacked trainer) or a tfjs backend; '' when all came from the cache. */
  backend: string;
  workers: number;
}

export interface ShadowHooks {
  signal?: AbortSignal;
  onProgress?: (p: ShadowProgress) => void;
}

/** Largest number of shadows one worker trains stacked at once; see chooseJobs. */
const MAX_STACK = 8;
/** Jobs per worker the stacked split aims for, so workers finish close together. */
const JOBS_PER_WORKER = 8;
/** Kernel memory a stack's parameters, gradients and Adam moments may take (4 floats each). */
const STACK_PARAMETER_BYTES = 256 * 1024 * 1024;

/** Everything of ShadowOutputs but the per-shadow outputs themselves. */
export type ShadowRunInfo = Omit<ShadowOutputs, 'auditProbabilities' | 'populationProbabilities'>;

/** ShadowOutputs in their lean form: per shadow a ShadowSummary instead of class vectors. */
export interface ShadowSummaryOutputs extends ShadowRunInfo {
  summaries: ShadowSummary[];
}

export async function trainShadowModels(req: ShadowRequest, hooks: ShadowHooks = {}): Promise<ShadowOutputs> {
  const auditProbabilities: Float32Array[] = new Array(req.settings.count);
  const populationProbabilities: Float32Array[] = new Array(req.settings.count);
  const info = await runShadows(req, hooks, (s, audit, population) => {
    auditProbabilities[s] = audit;
    if (population !== undefined) populationProbabilities[s] = population;
  });
  return {
    ...info,
    auditProbabilities,
    populationProbabilities: req.population !== undefined ? populationProbabilities : undefined,
  };
}

/**
 * trainShadowModels for audits of any size: each shadow's outputs, as they arrive from a
 * worker or the cache, are reduced to what LiRA, difficulty calibration, RMIA and the
 * shadow-quality check read (ShadowSummary) and dropped, so the audit holds 12 bytes per
 * (record, shadow, query) instead of 4 x classes. Shokri's attack and output defenses
 * need the class vectors: they use trainShadowModels (same cache, same shadows).
 */
export async function trainShadowSummaries(req: ShadowRequest, hooks: ShadowHooks = {}): Promise<ShadowSummaryOutputs> {
  const summaries: ShadowSummary[] = new Array(req.settings.count);
  const queries = checkSettings(req.settings, req.settingsSource).length;
  const info = await runShadows(req, hooks, (s, audit, population) => {
    summaries[s] = summariseShadow(audit, population, queries, req.numClasses, req.auditRecords.labels.subarray(0, req.auditRecords.count),
      req.population?.labels.subarray(0, req.population.count));
  });
  return { ...info, summaries };
}

/**
 * Trains the shadows the cache lacks and hands every shadow's outputs to `receive`
 * (cached ones first, then trained ones as they finish), holding none of them itself.
 */
async function runShadows(
  req: ShadowRequest,
  hooks: ShadowHooks,
  receive: (shadow: number, audit: Float32Array, population: Float32Array | undefined) => void,
): Promise<ShadowRunInfo> {
  const { settings, auditRecords, population, numClasses } = req;
  const variants = checkSettings(settings, req.settingsSource);
  checkRecords(auditRecords, population, numClasses, variants, req.settingsSource);
  const architecture = await readArchitecture(req.architectureFile);
  const optimizer = resolveOptimizer(architecture.trainingConfig, settings);

  const S = settings.count;
  const { keep, populationCount, sets } = shadowSplit(req);

  const store = buildRecordStore(auditRecords, population);
  const setup: GroupSetup = {
    store, architecture, optimizer, numClasses,
    epochs: settings.epochs, batchSize: settings.batchSize, seed: settings.seed, queries: settings.queries,
  };
  const { trainer, reason, stack } = trainerFor(setup);
  const digest = recordsDigest(store, numClasses);
  const run = runDigest(digest, architecture, {
    epochs: settings.epochs, batchSize: settings.batchSize, learningRate: settings.learningRate, optimizer: settings.optimizer,
    seed: settings.seed, trainSize: settings.trainSize, queries: variants.map((v) => v.label),
  }, optimizer);
  const headers: CacheHeader[] = sets.members.map((members, s) => ({
    key: shadowKey(run, s, settings.seed, members),
    shadow: s,
    auditCount: auditRecords.count,
    populationCount,
    queries: variants.length,
    numClasses,
  }));

  removeStaleTemporaries(req.cacheDir);
  const missing: number[] = [];
  for (let s = 0; s < S; s++) {
    const cached = readCachedShadow(req.cacheDir, headers[s]);
    if (cached === undefined) missing.push(s);
    else receive(s, cached.auditProbabilities, cached.populationProbabilities);
  }
  const fromCache = S - missing.length;

  const samplesTotal = missing.reduce((sum, s) => sum + sets.members[s].length * settings.epochs, 0);
  const progress = new ProgressTracker(fromCache, S, samplesTotal, hooks.onProgress);

  const workers = workerCount(settings.workers, missing.length);
  let backend = '';
  if (missing.length > 0) {
    const maxStack = stack === undefined ? 1 : Math.max(1, Math.min(MAX_STACK, Math.floor(STACK_PARAMETER_BYTES / (16 * parameterCount(stack)))));
    const jobs = chooseJobs(missing, sets.members, trainer, workers, maxStack);
    const result = await executorFor(req)({
      setup: { ...setup, backend: currentBackend()?.name ?? 'auto' },
      recordsDigest: digest,
      jobs,
      workers,
      signal: hooks.signal,
      onSamples: (n) => progress.addSamples(n),
      onShadow: (r) => {
        writeCachedShadow(req.cacheDir, headers[r.shadow], r);
        receive(r.shadow, r.auditProbabilities, r.populationProbabilities);
        progress.modelDone();
      },
    });
    backend = result.backend;
  }
  return {
    shadows: S,
    queries: variants.length,
    numClasses,
    keep,
    populationKeep: population !== undefined ? sets.populationKeep : undefined,
    trained: missing.length,
    fromCache,
    samplesPerSecond: missing.length > 0 ? progress.rate() : 0,
    trainer,
    trainerNote: reason,
    ...(architecture.defaulted ? { architectureNote: defaultArchitectureNote(architecture.defaulted) } : {}),
    optimizer,
    backend,
    workers: missing.length > 0 ? workers : 0,
  };
}

/**
 * Which records each shadow trains on: the seeded keep matrix over the audit records,
 * filled up with population records to the training-set size. Shared by every kind of
 * shadow (plain, queued, retrained with a defense) so that they compare record for record.
 */
export function shadowSplit(req: Pick<ShadowRequest, 'auditRecords' | 'population' | 'settings' | 'settingsSource'>): { keep: Uint8Array; populationCount: number; sets: ReturnType<typeof buildTrainingSets> } {
  const { settings, auditRecords } = req;
  const keep = keepMatrix(auditRecords.count, settings.count, settings.seed);
  const populationCount = req.population?.count ?? 0;
  checkTrainSize(keep, auditRecords.count, populationCount, settings, req.settingsSource);
  const sets = buildTrainingSets(keep, auditRecords.count, populationCount, settings.count, settings.trainSize, settings.seed);
  return { keep, populationCount, sets };
}

/**
 * Splits the missing shadows into jobs. Stacked: about JOBS_PER_WORKER stacks per worker,
 * at most maxStack shadows each. With our SIMD kernels a stack's throughput barely
 * depends on its size (measured 1 to 8 on MLP 784-256-10), while a stack's shadows
 * finish (and are cached) together; so stacks stay small enough that the pool balances
 * the workers and a cancel loses little. Per-model: one shadow per job.
 */
function chooseJobs(missing: number[], members: Int32Array[], trainer: Trainer, workers: number, maxStack: number): GroupJob[] {
  const size = trainer === 'stacked' ? Math.min(maxStack, Math.max(1, Math.ceil(missing.length / (workers * JOBS_PER_WORKER)))) : 1;
  const jobs: GroupJob[] = [];
  for (let i = 0; i < missing.length; i += size) {
    const shadows = missing.slice(i, i + size);
    jobs.push({ shadows, members: shadows.map((s) => members[s]) });
  }
  return jobs;
}

/** Weights and biases of one copy of a Dense stack. */
function parameterCount(stack: DenseStack): number {
  let inSize = stack.inputSize;
  let count = 0;
  for (const layer of stack.layers) {
    count += inSize * layer.units + (layer.useBias ? layer.units : 0);
    inSize = layer.units;
  }
  return count;
}
