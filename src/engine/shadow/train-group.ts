/**
 * Trains and scores one group of shadows inside a worker: stacked on our SIMD kernels
 * when the architecture is a Dense stack, else one tfjs-layers model after another.
 * TensorFlow.js is loaded (per-model.ts) only when a group needs it.
 */
import { queryVariants, type QueryName } from '../attacks/augmentations';
import type { BackendPreference } from '../backend';
import type { Architecture, DenseStack } from './architecture';
import { BatchPlan } from './batch-plan';
import { denseInitialWeights } from './dense-init';
import type { OptimizerSpec } from './optimizer';
import type { RecordStore } from './record-store';
import { scoreShadows } from './scoring';
import { StackedMlp, type LayerWeights } from './stacked-mlp';
import type { StepHooks } from './step-hooks';
import { trainerFor } from './trainer-choice';

/** What every group of a run shares. */
export interface GroupSetup {
  store: RecordStore;
  architecture: Architecture;
  optimizer: OptimizerSpec;
  numClasses: number;
  epochs: number;
  batchSize: number;
  seed: number;
  queries: QueryName[];
}

export interface GroupJob {
  shadows: number[];
  /** Per shadow of the job, its training records. */
  members: Int32Array[];
}

export interface ShadowResult {
  shadow: number;
  auditProbabilities: Float32Array;
  populationProbabilities?: Float32Array;
}

/** What the stacked trainer runs on: our own kernels, not a TensorFlow.js backend. */
export const STACKED_BACKEND = 'wasm-simd';

type PerModel = typeof import('./per-model');

/** Loaded on first use: a bundler keeps the module, but its TensorFlow.js imports run only then. */
function perModel(): PerModel {
  return require('./per-model') as PerModel;
}

/** Trains the job's shadows, reporting each as it is done; returns the backend they ran on. */
export async function trainGroup(
  setup: GroupSetup,
  backend: BackendPreference,
  job: GroupJob,
  hooks: StepHooks,
  onShadow: (result: ShadowResult) => void,
): Promise<string> {
  const { trainer, stack } = trainerFor(setup);
  if (trainer === 'stacked') {
    await trainStacked(setup, backend, stack as DenseStack, job, hooks, onShadow);
    return STACKED_BACKEND;
  }
  let used = '';
  for (let i = 0; i < job.shadows.length; i++) {
    const { backend: name, ...result } = await perModel().trainPerModel(setup, backend, job.shadows[i], job.members[i], hooks);
    used = name;
    onShadow(result);
  }
  return used;
}

async function trainStacked(
  setup: GroupSetup,
  backend: BackendPreference,
  stack: DenseStack,
  job: GroupJob,
  hooks: StepHooks,
  onShadow: (result: ShadowResult) => void,
): Promise<void> {
  const initial: LayerWeights[][] = [];
  for (const s of job.shadows) {
    initial.push(denseInitialWeights(setup.architecture.topology, stack, setup.seed, s)
      ?? await perModel().layersInitialWeights(setup, backend, stack, s));
  }
  const model = new StackedMlp(stack, initial, setup.optimizer, setup.batchSize);
  const plans = job.shadows.map((s, i) => new BatchPlan(job.members[i], setup.batchSize, setup.epochs, setup.seed, s));
  const steps = Math.max(...plans.map((p) => p.totalSteps));
  for (let step = 0; step < steps; step++) {
    hooks.throwIfStopped();
    const batches = plans.map((p) => p.batch(step));
    model.step(setup.store, batches);
    hooks.onSamples(batches.reduce((sum, b) => sum + (b?.length ?? 0), 0));
  }
  const scores = scoreShadows(setup.store, queryVariants(setup.queries), setup.numClasses, job.shadows.length,
    (features, count) => model.predict(features, count), () => hooks.throwIfStopped());
  job.shadows.forEach((shadow, i) => onShadow({
    shadow,
    auditProbabilities: scores.audit[i],
    populationProbabilities: scores.population?.[i],
  }));
}
