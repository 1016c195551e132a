/**
 * Trains and scores one group of shadows inside a worker: stacked on our SIMD kernels
 * when the architecture is a Dense stack, one after another on our SIMD kernels when it
 * is a CNN they cover (cnn-trainer.ts), else one tfjs-layers model after another.
 * TensorFlow.js is loaded (per-model.ts, cnn-init.ts) only when a group needs it.
 */
import { queryVariants, type QueryName } from '../attacks/augmentations';
import type { BackendPreference } from '../backend';
import type { Architecture, DenseStack } from './architecture';
import { BatchPlan } from './batch-plan';
import type { CnnSpec } from './cnn-architecture';
import { CnnTrainer } from './cnn-trainer';
import { denseInitialWeights } from './dense-init';
import type { OptimizerSpec } from './optimizer';
import { deriveSeed, makeRandom } from './random';
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

/** What the stacked and convolutional trainers run on: our own kernels, not a TensorFlow.js backend. */
export const STACKED_BACKEND = 'wasm-simd';

type PerModel = typeof import('./per-model');
type CnnInit = typeof import('./cnn-init');

/** Loaded on first use: a bundler keeps the module, but its TensorFlow.js imports run only then. */
function perModel(): PerModel {
  return require('./per-model') as PerModel;
}

function cnnInit(): CnnInit {
  return require('./cnn-init') as CnnInit;
}

/** Trains the job's shadows, reporting each as it is done; returns the backend they ran on. */
export async function trainGroup(
  setup: GroupSetup,
  backend: BackendPreference,
  job: GroupJob,
  hooks: StepHooks,
  onShadow: (result: ShadowResult) => void,
): Promise<string> {
  const { trainer, stack, cnn } = trainerFor(setup);
  if (trainer === 'stacked') {
    await trainStacked(setup, backend, stack as DenseStack, job, hooks, onShadow);
    return STACKED_BACKEND;
  }
  if (trainer === 'cnn') {
    for (let i = 0; i < job.shadows.length; i++) {
      onShadow(await trainCnn(setup, backend, cnn as CnnSpec, job.shadows[i], job.members[i], hooks));
    }
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

/**
 * One convolutional shadow on our kernels: the TF.js path's seeded initial weights, its
 * batch plan, then scored like every shadow (scoring.ts), with probabilities as the
 * per-model path gives them (softmax of logits when the output layer is linear).
 */
async function trainCnn(setup: GroupSetup, backend: BackendPreference, spec: CnnSpec, shadow: number, members: Int32Array, hooks: StepHooks): Promise<ShadowResult> {
  const initial = await cnnInit().cnnInitialWeights(setup.architecture, spec, backend, setup.seed, shadow);
  const dropout = spec.layers.some((l) => l.kind === 'dropout') ? makeRandom(deriveSeed(setup.seed, 'dropout', shadow)) : undefined;
  const model = new CnnTrainer(spec, initial, setup.optimizer, setup.batchSize, dropout);
  const plan = new BatchPlan(members, setup.batchSize, setup.epochs, setup.seed, shadow);
  for (let step = 0; step < plan.totalSteps; step++) {
    hooks.throwIfStopped();
    const batch = plan.batch(step) as Int32Array;
    model.step(setup.store, batch);
    hooks.onSamples(batch.length);
  }
  const scores = scoreShadows(setup.store, queryVariants(setup.queries), setup.numClasses, 1,
    (features, count) => [model.predict(features, count)], () => hooks.throwIfStopped());
  return { shadow, auditProbabilities: scores.audit[0], populationProbabilities: scores.population?.[0] };
}
