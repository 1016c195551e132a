/**
 * The convolutional trainer against the TF.js layers trainer (cpu backend) on whole
 * training steps: the same seeded initial weights (bit for bit), the same batch plan,
 * then the weights after one Adam step and after several (partial last batch, two
 * epochs), and plain SGD. Then trainShadowModels end to end: a covered CNN goes to our
 * kernels in worker threads (trainer 'cnn'), and its scored outputs match the TF.js
 * per-model path's outputs for the same shadow; an uncovered one says why it fell back.
 * Tolerance: max |ours - tfjs| over all weights <= 1e-4 x max |weight| (one step),
 * 5e-4 after eight steps (float32 sums in another order compound through Adam).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../../src/engine/artifacts/dataset';
import { initBackend } from '../../src/engine/backend';
import { shadowSplit, trainShadowModels, type ShadowRequest } from '../../src/engine/shadow';
import type { Architecture } from '../../src/engine/shadow/architecture';
import { BatchPlan } from '../../src/engine/shadow/batch-plan';
import { cnnSpecOf, isCnnSpec, type CnnSpec } from '../../src/engine/shadow/cnn-architecture';
import { cnnInitialWeights } from '../../src/engine/shadow/cnn-init';
import { CnnTrainer, type CnnLayerWeights } from '../../src/engine/shadow/cnn-trainer';
import { buildShadowModel } from '../../src/engine/shadow/layers-model';
import { compileForTraining, trainLayersModel } from '../../src/engine/shadow/layers-trainer';
import type { OptimizerSpec } from '../../src/engine/shadow/optimizer';
import { trainPerModel } from '../../src/engine/shadow/per-model';
import { makeRandom } from '../../src/engine/shadow/random';
import { buildRecordStore, type RecordStore } from '../../src/engine/shadow/record-store';
import { NO_HOOKS } from '../../src/engine/shadow/step-hooks';
import { trainerFor } from '../../src/engine/shadow/trainer-choice';

const SHAPE = [8, 8, 1];
const CLASSES = 3;
const SEED = 7;
const adam: OptimizerSpec = { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, source: 'settings' };
const sgd: OptimizerSpec = { ...adam, kind: 'sgd', learningRate: 0.1 };

let dir: string;

/** The benchmark's CNN shape, small: conv3x3x4-pool-conv3x3x8-pool-dense. */
function cnnTopology(extra?: (m: tfl.Sequential) => void): Record<string, unknown> {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: SHAPE, filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  extra?.(m);
  m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
  const topology = m.toJSON(null, false) as unknown as Record<string, unknown>;
  m.dispose();
  return topology;
}

/** Conv2D (linear, no bias), BatchNormalization, ReLU Activation, pool, then the rest of the small CNN. */
function batchNormTopology(): Record<string, unknown> {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: SHAPE, filters: 4, kernelSize: 3, padding: 'same', useBias: false }));
  m.add(tfl.layers.batchNormalization({ momentum: 0.9 }));
  m.add(tfl.layers.activation({ activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
  const topology = m.toJSON(null, false) as unknown as Record<string, unknown>;
  m.dispose();
  return topology;
}

/** Images with a learnable class (which quadrant is brightest) plus noise. */
function images(name: string, count: number, seed: number): Dataset {
  const random = makeRandom(seed);
  const size = SHAPE[0] * SHAPE[1];
  const features = new Float32Array(count * size);
  const labels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const label = Math.floor(random() * CLASSES);
    labels[r] = label;
    for (let i = 0; i < size; i++) {
      const [y, x] = [Math.floor(i / SHAPE[1]), i % SHAPE[1]];
      const quadrant = (y < 4 ? 0 : 1) + (x < 4 ? 0 : 1);
      features[r * size + i] = random() + (quadrant === label ? 0.8 : 0);
    }
  }
  return { source: path.join(dir, name), count, featureShape: SHAPE, features, labels };
}

function specOf(architecture: Architecture): CnnSpec {
  const spec = cnnSpecOf(architecture.topology);
  assert.ok(isCnnSpec(spec), JSON.stringify(spec));
  return spec;
}

/** Ours in model.getWeights() order (trainable weights layer by layer, then moving statistics) against TF.js's. */
function worstRelative(ours: CnnLayerWeights[], theirs: Float32Array[]): number {
  const trainable = ours.flatMap((w) => [w.kernel, w.bias].filter((v): v is Float32Array => v !== undefined && v.length > 0));
  const moving = ours.flatMap((w) => (w.movingMean ? [w.movingMean, w.movingVariance as Float32Array] : []));
  const flat = [...trainable, ...moving];
  assert.equal(flat.length, theirs.length);
  let worst = 0;
  let scale = 0;
  flat.forEach((a, i) => {
    for (let j = 0; j < a.length; j++) {
      worst = Math.max(worst, Math.abs(a[j] - theirs[i][j]));
      scale = Math.max(scale, Math.abs(theirs[i][j]));
    }
  });
  return worst / scale;
}

/** Trains shadow 0 both ways on `members` and returns the worst relative weight difference. */
async function bothWays(architecture: Architecture, store: RecordStore, members: Int32Array, batchSize: number, epochs: number, optimizer: OptimizerSpec): Promise<number> {
  const spec = specOf(architecture);
  const plan = new BatchPlan(members, batchSize, epochs, SEED, 0);
  const model = await buildShadowModel(architecture, SEED, 0);
  compileForTraining(model, optimizer);
  await trainLayersModel(model, plan, store, CLASSES, NO_HOOKS);
  const theirs = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  const ours = new CnnTrainer(spec, await cnnInitialWeights(architecture, spec, 'cpu', SEED, 0), optimizer, batchSize);
  for (let step = 0; step < plan.totalSteps; step++) ours.step(store, plan.batch(step) as Int32Array);
  return worstRelative(ours.weights(), theirs);
}

before(async () => {
  await initBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadow-cnn-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('convolutional trainer: whole training steps against the TF.js layers trainer', () => {
  const architecture = (): Architecture => ({ file: 'cnn.json', topology: cnnTopology() });
  const store = (): RecordStore => buildRecordStore(images('train', 60, 1), undefined);

  test('initial weights are the seeded TF.js model\'s, bit for bit, and differ between shadows', async () => {
    const arch = architecture();
    const spec = specOf(arch);
    const model = await buildShadowModel(arch, SEED, 3);
    const theirs = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    const ours = await cnnInitialWeights(arch, spec, 'cpu', SEED, 3);
    assert.deepEqual(ours.flatMap((w) => [Array.from(w.kernel), Array.from(w.bias as Float32Array)]), theirs);
    const bnArch: Architecture = { file: 'bn.json', topology: batchNormTopology() };
    const bnModel = await buildShadowModel(bnArch, SEED, 3);
    const bnTheirs = bnModel.getWeights().map((w) => w.dataSync() as Float32Array);
    bnModel.dispose();
    assert.equal(worstRelative(await cnnInitialWeights(bnArch, specOf(bnArch), 'cpu', SEED, 3), bnTheirs), 0, 'with BatchNormalization too');
    const other = await cnnInitialWeights(arch, spec, 'cpu', SEED, 4);
    assert.notDeepEqual(Array.from(other[0].kernel), Array.from(ours[0].kernel));
  });

  test('one Adam step: weights equal within 1e-4 of the largest weight', async () => {
    const worst = await bothWays(architecture(), store(), Int32Array.from({ length: 16 }, (_, i) => i), 16, 1, adam);
    assert.ok(worst <= 1e-4, `worst relative difference ${worst.toExponential(2)}`);
  });

  test('eight Adam steps over two epochs with a partial last batch: within 5e-4', async () => {
    const members = Int32Array.from({ length: 53 }, (_, i) => (i * 7) % 60);
    const worst = await bothWays(architecture(), store(), members, 16, 2, adam);
    assert.ok(worst <= 5e-4, `worst relative difference ${worst.toExponential(2)}`);
  });

  test('BatchNormalization (batch statistics, moving averages): six Adam steps, weights and moving statistics within 5e-4', async () => {
    const worst = await bothWays({ file: 'bn.json', topology: batchNormTopology() }, store(), Int32Array.from({ length: 45 }, (_, i) => i), 16, 2, adam);
    assert.ok(worst <= 5e-4, `worst relative difference ${worst.toExponential(2)}`);
  });

  test('SGD, one step', async () => {
    const worst = await bothWays(architecture(), store(), Int32Array.from({ length: 16 }, (_, i) => i), 16, 1, sgd);
    assert.ok(worst <= 1e-4, `one-step worst relative difference ${worst.toExponential(2)}`);
  });

  test('SGD, four steps (the last one partial): within 1e-4', async () => {
    const worst = await bothWays(architecture(), store(), Int32Array.from({ length: 60 }, (_, i) => i), 16, 1, sgd);
    assert.ok(worst <= 1e-4, `worst relative difference ${worst.toExponential(2)}`);
  });
});

describe('trainShadowModels with a convolutional architecture', () => {
  function request(architectureFile: string, cacheDir: string): ShadowRequest {
    return {
      architectureFile,
      auditRecords: images('audit', 80, 2),
      population: images('population', 40, 3),
      numClasses: CLASSES,
      settings: {
        count: 2, epochs: 2, batchSize: 16, learningRate: 0.01, optimizer: 'adam', seed: SEED, trainSize: 48,
        queries: ['identity', 'mirror'], workers: 2,
      },
      cacheDir,
    };
  }

  function writeArchitecture(name: string, topology: Record<string, unknown>): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify({ format: 'layers-model', modelTopology: topology, weightsManifest: [] }));
    return file;
  }

  test('trains on our kernels in worker threads, scored like the TF.js path scores the same shadow', async () => {
    const file = writeArchitecture('cnn.json', cnnTopology());
    const req = request(file, path.join(dir, 'cache'));
    const out = await trainShadowModels(req);
    assert.deepEqual([out.trainer, out.backend, out.trainerNote, out.trained, out.workers], ['cnn', 'wasm-simd', undefined, 2, 2]);
    // The same shadow through the TF.js per-model trainer (cpu backend, in this thread).
    const store = buildRecordStore(req.auditRecords, req.population);
    const members = shadowSplit(req).sets.members[1];
    const setup = {
      store, architecture: { file, topology: cnnTopology() }, optimizer: out.optimizer, numClasses: CLASSES,
      epochs: 2, batchSize: 16, seed: SEED, queries: req.settings.queries,
    };
    const reference = await trainPerModel(setup, 'cpu', 1, members, NO_HOOKS);
    const ours = out.auditProbabilities[1];
    assert.equal(ours.length, 80 * 2 * CLASSES);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - reference.auditProbabilities[i]));
    assert.ok(worst < 1e-3, `audit probabilities (both queries) within 1e-3 of the TF.js path: ${worst.toExponential(2)}`);
    const population = out.populationProbabilities?.[1] as Float32Array;
    for (let i = 0; i < population.length; i++) worst = Math.max(worst, Math.abs(population[i] - (reference.populationProbabilities as Float32Array)[i]));
    assert.ok(worst < 1e-3, `population probabilities within 1e-3: ${worst.toExponential(2)}`);
    for (let r = 0; r < 80 * 2; r++) {
      const sum = ours[r * 3] + ours[r * 3 + 1] + ours[r * 3 + 2];
      assert.ok(Math.abs(sum - 1) < 1e-5, `row ${r} sums to 1`);
    }
  });

  test('a CNN with a layer our kernels do not cover falls back to TF.js layers and says why', () => {
    const topology = cnnTopology((m) => m.add(tfl.layers.layerNormalization()));
    const choice = trainerFor({ architecture: { file: 'bn.json', topology }, store: buildRecordStore(images('a', 4, 4), undefined), numClasses: CLASSES });
    assert.equal(choice.trainer, 'per-model');
    assert.match(choice.reason ?? '', /layer 5 is LayerNormalization: the convolutional trainer does not cover it/);
  });

  test('a CNN whose batch would not fit the trainer\'s memory falls back to TF.js layers and says so', () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [224, 224, 3], filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
    const topology = m.toJSON(null, false) as unknown as Record<string, unknown>;
    m.dispose();
    const store = buildRecordStore(images('b', 2, 5), undefined);
    const big = trainerFor({ architecture: { file: 'big.json', topology }, store, numClasses: CLASSES, batchSize: 256 });
    assert.equal(big.trainer, 'per-model');
    assert.match(big.reason ?? '', /would need \d+ MiB per worker at batch size 256/);
  });

  test('a covered CNN whose input does not match the records is refused before training', () => {
    const store = buildRecordStore({ source: 'x', count: 2, featureShape: [7, 7], features: new Float32Array(98), labels: new Int32Array(2) }, undefined);
    assert.throws(() => trainerFor({ architecture: { file: 'cnn.json', topology: cnnTopology() }, store, numClasses: CLASSES }), /takes 64 input values per record but the records have 49/);
  });
});
