/**
 * The stacked trainer (our SIMD kernels, S shadows at once) against the per-model path
 * (tfjs-layers trainOnBatch): the same initial weights and the same batch plan must
 * give the same weights after several steps, to float tolerance, for each shadow of
 * the stack. Shadows of different training-set sizes exercise partial batches and a
 * shadow finishing before the others. Also: the stacked path's own initial weights.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import type { Architecture, DenseStack } from '../../src/engine/shadow/architecture';
import { denseStackOf, isDenseStack } from '../../src/engine/shadow/architecture';
import { BatchPlan } from '../../src/engine/shadow/batch-plan';
import { buildShadowModel } from '../../src/engine/shadow/layers-model';
import { compileForTraining, predictLayersModel, trainLayersModel } from '../../src/engine/shadow/layers-trainer';
import type { OptimizerSpec } from '../../src/engine/shadow/optimizer';
import type { RecordStore } from '../../src/engine/shadow/record-store';
import { makeRandom } from '../../src/engine/shadow/random';
import { StackedMlp, type LayerWeights } from '../../src/engine/shadow/stacked-mlp';
import { NO_HOOKS } from '../../src/engine/shadow/step-hooks';
import { denseInitialWeights } from '../../src/engine/shadow/dense-init';

const INPUTS = 12;
const CLASSES = 3;
const RECORDS = 90;

function architecture(hidden: { units: number; activation: string }[], lastActivation: string): Architecture {
  const model = tfl.sequential();
  hidden.forEach((h, i) => model.add(tfl.layers.dense({ ...(i === 0 ? { inputShape: [INPUTS] } : {}), units: h.units, activation: h.activation as 'relu' })));
  model.add(tfl.layers.dense({ units: CLASSES, activation: lastActivation as 'softmax' }));
  const topology = model.toJSON(null, false) as unknown as Record<string, unknown>;
  model.dispose();
  return { file: 'test-model.json', topology };
}

function makeStore(): RecordStore {
  const random = makeRandom(5);
  const features = new Float32Array(RECORDS * INPUTS).map(() => random() * 2 - 1);
  const labels = Int32Array.from({ length: RECORDS }, (_, r) => {
    const x = features.subarray(r * INPUTS, (r + 1) * INPUTS);
    return x[0] + x[1] > 0.5 ? 0 : x[2] - x[3] > 0 ? 1 : 2;
  });
  return { featureShape: [INPUTS], size: INPUTS, auditCount: RECORDS, populationCount: 0, features, labels };
}

/** Training sets of 37, 64 and 50 records: different last-batch sizes and step counts. */
const MEMBERS = [37, 64, 50].map((n, s) => Int32Array.from({ length: n }, (_, i) => (i * 7 + s * 11) % RECORDS));

interface Case {
  name: string;
  hidden: { units: number; activation: string }[];
  last: string;
  optimizer: OptimizerSpec;
  /** Tolerance on max |stacked - per-model| over all weights, relative to max |weight|. */
  tolerance: number;
}

const adam: OptimizerSpec = { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, source: 'settings' };
const sgd: OptimizerSpec = { kind: 'sgd', learningRate: 0.2, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, source: 'settings' };

const CASES: Case[] = [
  { name: 'relu hidden, softmax output, Adam', hidden: [{ units: 16, activation: 'relu' }], last: 'softmax', optimizer: adam, tolerance: 2e-5 },
  { name: 'tanh and sigmoid hidden, logits output, SGD', hidden: [{ units: 10, activation: 'tanh' }, { units: 7, activation: 'sigmoid' }], last: 'linear', optimizer: sgd, tolerance: 1e-6 },
  { name: 'linear and relu hidden, softmax output, Adam', hidden: [{ units: 9, activation: 'linear' }, { units: 20, activation: 'relu' }], last: 'softmax', optimizer: adam, tolerance: 2e-5 },
];

before(async () => {
  await initBackend('cpu');
});

describe('stacked trainer matches tfjs-layers trainOnBatch', () => {
  for (const c of CASES) {
    test(c.name, async (t) => {
      const store = makeStore();
      const arch = architecture(c.hidden, c.last);
      const stack = denseStackOf(arch.topology);
      assert.ok(isDenseStack(stack), `the architecture is a Dense stack (${JSON.stringify(stack)})`);
      const setup = { epochs: 3, batchSize: 16, seed: 9 };
      const shadows = [0, 1, 2];
      const plans = shadows.map((s) => new BatchPlan(MEMBERS[s], setup.batchSize, setup.epochs, setup.seed, s));
      assert.notEqual(plans[0].totalSteps, plans[1].totalSteps, 'shadows finish at different steps');

      const initial = shadows.map((s) => denseInitialWeights(arch.topology, stack as DenseStack, setup.seed, s) as LayerWeights[]);
      assert.ok(initial.every((w) => w !== undefined), 'default initializers are covered');
      const stacked = new StackedMlp(stack as DenseStack, initial, c.optimizer, setup.batchSize);
      const steps = Math.max(...plans.map((p) => p.totalSteps));
      for (let step = 0; step < steps; step++) stacked.step(store, plans.map((p) => p.batch(step)));

      let worst = 0;
      for (const s of shadows) {
        const model = await buildShadowModel(arch, setup.seed, s);
        model.setWeights(initial[s].flatMap((l, i) => {
          const spec = (stack as DenseStack).layers[i];
          const inSize = i === 0 ? INPUTS : (stack as DenseStack).layers[i - 1].units;
          const kernel = tf.tensor2d(l.kernel, [inSize, spec.units]);
          return l.bias ? [kernel, tf.tensor1d(l.bias)] : [kernel];
        }));
        compileForTraining(model, c.optimizer);
        const before = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
        await trainLayersModel(model, plans[s], store, CLASSES, NO_HOOKS);
        const reference = model.getWeights().map((w) => w.dataSync() as Float32Array);
        const ours = stacked.weightsOf(s).flatMap((l) => (l.bias ? [l.kernel, l.bias] : [l.kernel]));
        assert.equal(ours.length, reference.length, 'same number of weight tensors');
        let maxDiff = 0;
        let maxRef = 0;
        let moved = 0;
        reference.forEach((ref, i) => {
          assert.equal(ours[i].length, ref.length, `weight ${i} size`);
          for (let j = 0; j < ref.length; j++) {
            maxDiff = Math.max(maxDiff, Math.abs(ours[i][j] - ref[j]));
            maxRef = Math.max(maxRef, Math.abs(ref[j]));
            moved = Math.max(moved, Math.abs(ref[j] - before[i][j]));
          }
        });
        assert.ok(moved > 10 * c.tolerance * maxRef, `training moved the weights (max change ${moved}), so agreement is meaningful`);
        assert.ok(maxDiff <= c.tolerance * maxRef, `shadow ${s}: max |stacked - tfjs| = ${maxDiff} (max |w| ${maxRef})`);
        worst = Math.max(worst, maxDiff / maxRef);

        const probe = store.features.subarray(0, 20 * INPUTS);
        const p1 = stacked.predict(probe, 20)[s];
        const p2 = predictLayersModel(model, store, probe, 20);
        let pDiff = 0;
        for (let j = 0; j < p1.length; j++) pDiff = Math.max(pDiff, Math.abs(p1[j] - p2[j]));
        assert.ok(pDiff < 1e-3, `shadow ${s}: predictions differ by ${pDiff}`);
        (model.optimizer as tf.Optimizer).dispose();
        model.dispose();
      }
      t.diagnostic(`worst relative weight difference ${worst.toExponential(2)}`);
    });
  }
});

describe('initial weights of the stacked path', () => {
  const topology = (kernel: unknown, bias: unknown = { class_name: 'Zeros', config: {} }) => ({
    class_name: 'Sequential',
    config: { layers: [{ class_name: 'Dense', config: { units: 300, activation: 'softmax', use_bias: true, batch_input_shape: [null, 200], kernel_initializer: kernel, bias_initializer: bias } }] },
  });
  const stack: DenseStack = { inputSize: 200, layers: [{ units: 300, activation: 'softmax', useBias: true }] };

  test('glorot uniform (as tfjs saves it) stays within its limit and fills it', () => {
    const init = denseInitialWeights(topology({ class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform' } }), stack, 1, 0);
    assert.ok(init !== undefined, 'covered');
    const limit = Math.sqrt(6 / (200 + 300));
    const k = init[0].kernel;
    assert.equal(k.length, 200 * 300);
    assert.ok(k.every((v) => Math.abs(v) <= limit), 'inside the limit');
    assert.ok(Math.max(...k) > 0.95 * limit && Math.min(...k) < -0.95 * limit, 'spread over the range');
    assert.ok(init[0].bias?.every((v) => v === 0), 'zero bias');
  });

  test('he normal is truncated at two standard deviations with the right spread', () => {
    const init = denseInitialWeights(topology({ class_name: 'HeNormal', config: {} }, { class_name: 'Constant', config: { value: 0.5 } }), stack, 1, 0);
    assert.ok(init !== undefined, 'covered');
    const sd = Math.sqrt(2 / 200);
    const k = init[0].kernel;
    const mean = k.reduce((a, b) => a + b, 0) / k.length;
    const observed = Math.sqrt(k.reduce((a, b) => a + (b - mean) ** 2, 0) / k.length);
    assert.ok(k.every((v) => Math.abs(v) <= 2 * sd + 1e-7), 'truncated');
    assert.ok(Math.abs(observed / sd - 0.88) < 0.03, `spread ${observed / sd} of sd (0.88 for a 2-sd truncation)`);
    assert.ok(init[0].bias?.every((v) => v === 0.5), 'constant bias');
  });

  test('seeded per shadow; unknown initializers fall back (undefined)', () => {
    const glorot = topology({ class_name: 'GlorotUniform', config: {} });
    assert.deepEqual(denseInitialWeights(glorot, stack, 1, 0), denseInitialWeights(glorot, stack, 1, 0));
    assert.notDeepEqual(denseInitialWeights(glorot, stack, 1, 0)?.[0].kernel, denseInitialWeights(glorot, stack, 1, 1)?.[0].kernel);
    assert.equal(denseInitialWeights(topology({ class_name: 'Orthogonal', config: {} }), stack, 1, 0), undefined);
  });
});
