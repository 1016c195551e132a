/**
 * Label-only attacks (Choquette-Choo et al.): augmentation robustness and boundary distance
 * separate the members of models that memorised random labels, stay near chance when no
 * record was trained on, and see nothing but predicted labels.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { loadDataset } from '../../src/engine/artifacts/datasets';
import type { Dataset } from '../../src/engine/artifacts/dataset';
import { loadModel, type Classifier } from '../../src/engine/artifacts/models';
import { layersModelFileWriter } from '../../src/engine/artifacts/models/tfjs-layers-files';
import {
  BOUNDARY_DEFAULTS,
  labelOnlyAugmentationAttack,
  labelOnlyBoundaryAttack,
  type LabelOnlyInput,
} from '../../src/engine/attacks/label-only';
import { IMAGE_AUGMENTATIONS, augmentImage, recordLayout } from '../../src/engine/attacks/label-only-augmentation';
import { CENSORED_RADIUS_FACTOR, queryBudgetPerRecord } from '../../src/engine/attacks/label-only-perturbation';
import { uniformRandom } from '../../src/engine/random';
import type { AttackScores } from '../../src/engine/attacks/threshold';
import { computeAttackMetrics } from '../../src/engine/metrics';
import { overfitWorkspace } from '../helpers/overfit-workspace';

function auc(scores: AttackScores): number {
  const all = [...scores.memberScores, ...scores.nonMemberScores];
  const membership = all.map((_, i) => i < scores.memberScores.length);
  return computeAttackMetrics(all, membership).auc;
}

/** Smooth 28 x 28 images (three Gaussian blobs each) with random labels: only memorisation fits them. */
function blobImages(count: number, seed: number, side = 28, classes = 10): Dataset {
  const rand = uniformRandom(seed);
  const features = new Float32Array(count * side * side);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = Math.floor(rand() * classes);
    for (let b = 0; b < 3; b++) {
      const cx = 4 + rand() * (side - 8);
      const cy = 4 + rand() * (side - 8);
      const s = 2 + rand() * 3;
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) features[i * side * side + y * side + x] += Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s));
      }
    }
  }
  return { source: `blobs-${seed}`, count, featureShape: [side * side], features, labels };
}

/** An MLP trained to memorise `members`, kept in memory. */
async function memorisingImageMlp(members: Dataset): Promise<tfl.LayersModel> {
  const size = members.features.length / members.count;
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [size], units: 128, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 21 }) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 22 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'sparseCategoricalCrossentropy' });
  const xs = tf.tensor2d(members.features, [members.count, size]);
  const ys = tf.tensor1d(Array.from(members.labels), 'float32');
  await model.fit(xs, ys, { epochs: 60, batchSize: 32, verbose: 0, shuffle: false });
  xs.dispose();
  ys.dispose();
  return model;
}

/** Saves the model and loads it back through the engine's own loader. */
async function throughEngineLoader(model: tfl.LayersModel): Promise<Classifier> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-label-only-'));
  await model.save(layersModelFileWriter(dir));
  return loadModel(path.join(dir, 'model.json'));
}

/**
 * The model as a Classifier that predicts each request in one batch. The engine's loader
 * leaves model.predict at its default of 32-row batches, several times slower on wasm; the
 * timing test measures the attack, not that setting.
 */
function wholeBatchClassifier(model: tfl.LayersModel, size: number): Classifier {
  return {
    file: 'memory', format: 'test', inputShape: [size], numClasses: 10, parameterCount: model.countParams(),
    dispose() {},
    async predictProbabilities(features: Float32Array, _shape: number[], count: number) {
      const out = tf.tidy(() => model.predict(tf.tensor2d(features, [count, size]), { batchSize: count }) as tf.Tensor);
      const values = (await out.data()) as Float32Array;
      out.dispose();
      return values;
    },
  };
}

/** The same model, but it reveals only its label: a one-hot vector at the argmax. */
function oneHotOnly(inner: Classifier): Classifier & { queries: number } {
  const wrapper = {
    ...inner,
    queries: 0,
    async predictProbabilities(features: Float32Array, shape: number[], count: number) {
      wrapper.queries += count;
      const p = await inner.predictProbabilities(features, shape, count);
      const k = inner.numClasses;
      const out = new Float32Array(p.length);
      for (let r = 0; r < count; r++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (p[r * k + c] > p[r * k + best]) best = c;
        out[r * k + best] = 1;
      }
      return out;
    },
  };
  return wrapper;
}

/** Predicts class 0 for every record, counting its queries. */
function constantClassifier(numClasses: number): Classifier & { queries: number } {
  const c = {
    file: 'constant', format: 'test', inputShape: [null], numClasses, parameterCount: 0, queries: 0,
    dispose() {},
    async predictProbabilities(_features: Float32Array, _shape: number[], count: number) {
      c.queries += count;
      const out = new Float32Array(count * numClasses);
      for (let r = 0; r < count; r++) out[r * numClasses] = 1;
      return out;
    },
  };
  return c;
}

describe('record layout and augmentations', () => {
  test('shapes are read as images or tables', () => {
    assert.deepEqual(recordLayout([28, 28]), { kind: 'image', height: 28, width: 28, channels: 1 });
    assert.deepEqual(recordLayout([32, 32, 3]), { kind: 'image', height: 32, width: 32, channels: 3 });
    assert.deepEqual(recordLayout([784]), { kind: 'image', height: 28, width: 28, channels: 1 });
    assert.deepEqual(recordLayout([16]), { kind: 'tabular', size: 16 }, 'a 16-column table is not a 4 x 4 image');
    assert.deepEqual(recordLayout([16], 'image'), { kind: 'image', height: 4, width: 4, channels: 1 });
    assert.deepEqual(recordLayout([784], 'tabular'), { kind: 'tabular', size: 784 });
    assert.throws(() => recordLayout([10], 'image'), /cannot be read as images/);
  });

  test('18 queries: identity first, then shifts and mirrors', () => {
    assert.equal(IMAGE_AUGMENTATIONS.length, 18);
    assert.deepEqual(IMAGE_AUGMENTATIONS[0], { mirror: false, dx: 0, dy: 0 });
    const keys = new Set(IMAGE_AUGMENTATIONS.map((a) => `${a.mirror}/${a.dx}/${a.dy}`));
    assert.equal(keys.size, 18, 'all augmentations differ');
  });

  test('shift repeats edge pixels; mirror flips columns; channels move together', () => {
    const layout = { kind: 'image', height: 2, width: 3, channels: 2 } as const;
    // pixel (y, x) channel c holds 100y + 10x + c
    const src = new Float32Array(12);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 2; c++) src[(y * 3 + x) * 2 + c] = 100 * y + 10 * x + c;
    const out = new Float32Array(12);
    const at = (y: number, x: number, c: number) => out[(y * 3 + x) * 2 + c];
    augmentImage(src, out, layout, { mirror: false, dx: 1, dy: 0 });
    assert.deepEqual([at(0, 0, 0), at(0, 1, 0), at(0, 2, 1), at(1, 2, 1)], [0, 0, 11, 111]);
    augmentImage(src, out, layout, { mirror: true, dx: 0, dy: -1 });
    assert.deepEqual([at(0, 0, 0), at(0, 2, 1), at(1, 0, 0)], [120, 101, 120]);
  });
});

describe('on a tabular MLP that memorised random labels', () => {
  let members: Dataset;
  let nonMembers: Dataset;
  let population: Dataset;
  let model: Classifier;
  before(async () => {
    const ws = await overfitWorkspace();
    const load = (file: string) => loadDataset({ path: file, label: 'label' }, ws.dir);
    [members, nonMembers, population] = await Promise.all([load('train.csv'), load('test.csv'), load('population.csv')]);
    model = await loadModel(path.join(ws.dir, 'model', 'model.json'));
  });

  test('augmentation (Gaussian noise) separates members', async (t) => {
    const value = auc(await labelOnlyAugmentationAttack({ model, members, nonMembers }));
    t.diagnostic(`AUC ${value.toFixed(3)}`);
    assert.ok(value > 0.7, `label-only augmentation AUC ${value.toFixed(3)} should be clearly above 0.5`);
  });

  test('boundary distance separates members', async (t) => {
    const value = auc(await labelOnlyBoundaryAttack({ model, members, nonMembers }));
    t.diagnostic(`AUC ${value.toFixed(3)}`);
    assert.ok(value > 0.7, `label-only boundary AUC ${value.toFixed(3)} should be clearly above 0.5`);
  });

  test('stays near chance when neither group was trained on', async (t) => {
    // Non-members vs population: same distribution, both unseen by the model.
    const input = { model, members: nonMembers, nonMembers: population };
    const augmentation = auc(await labelOnlyAugmentationAttack(input));
    const boundary = auc(await labelOnlyBoundaryAttack(input));
    t.diagnostic(`AUC augmentation ${augmentation.toFixed(3)}, boundary ${boundary.toFixed(3)}`);
    // 150 vs 300 records: the AUC's standard error under the null is about 0.03.
    assert.ok(Math.abs(augmentation - 0.5) < 0.1, `augmentation AUC ${augmentation.toFixed(3)} should be near 0.5`);
    assert.ok(Math.abs(boundary - 0.5) < 0.1, `boundary AUC ${boundary.toFixed(3)} should be near 0.5`);
  });

  test('scores do not depend on the chunking (shared noise, per-record results)', async () => {
    const input = { model, members, nonMembers };
    const a = await labelOnlyBoundaryAttack(input, { chunkRecords: 7 });
    const b = await labelOnlyBoundaryAttack(input, { chunkRecords: 256 });
    assert.deepEqual(a.memberScores, b.memberScores);
    const c = await labelOnlyAugmentationAttack(input, { chunkRecords: 5 });
    const d = await labelOnlyAugmentationAttack(input);
    assert.deepEqual(c.nonMemberScores, d.nonMemberScores);
  });
});

describe('on an image MLP that memorised random labels', () => {
  let input: LabelOnlyInput;
  let mlp: tfl.LayersModel;
  before(async () => {
    await initBackend('auto');
    const members = blobImages(200, 1);
    mlp = await memorisingImageMlp(members);
    input = { model: await throughEngineLoader(mlp), members, nonMembers: blobImages(200, 2) };
  });

  test('augmentation (mirror and shifts) separates members', async (t) => {
    const result = await labelOnlyAugmentationAttack(input);
    const value = auc(result);
    t.diagnostic(`AUC ${value.toFixed(3)}`);
    assert.ok(value > 0.75, `label-only augmentation AUC ${value.toFixed(3)} should be clearly above 0.5`);
    assert.match(result.notes[0], /18 queries per record: mirror/);
  });

  test('boundary distance separates members', async (t) => {
    const value = auc(await labelOnlyBoundaryAttack(input));
    t.diagnostic(`AUC ${value.toFixed(3)}`);
    assert.ok(value > 0.75, `label-only boundary AUC ${value.toFixed(3)} should be clearly above 0.5`);
  });

  test('scores are identical when the model outputs one-hot labels only', async () => {
    const labelsOnly = { ...input, model: oneHotOnly(input.model) };
    const [a, b] = [await labelOnlyAugmentationAttack(input), await labelOnlyAugmentationAttack(labelsOnly)];
    assert.deepEqual(b.memberScores, a.memberScores);
    assert.deepEqual(b.nonMemberScores, a.nonMemberScores);
    const [c, d] = [await labelOnlyBoundaryAttack(input), await labelOnlyBoundaryAttack(labelsOnly)];
    assert.deepEqual(d.memberScores, c.memberScores);
    assert.deepEqual(d.nonMemberScores, c.nonMemberScores);
  });

  test('4,000 records of 784 features: within the query budget and fast', async (t) => {
    // Worst case for the search: every record correctly classified (members repeated).
    const count = 2000;
    const size = 784;
    const features = new Float32Array(count * size);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      features.set(input.members.features.subarray((i % 200) * size, (i % 200 + 1) * size), i * size);
      labels[i] = input.members.labels[i % 200];
    }
    const records: Dataset = { source: 'repeated', count, featureShape: [size], features, labels };
    const counted = oneHotOnly(wholeBatchClassifier(mlp, size));
    const started = performance.now();
    const result = await labelOnlyBoundaryAttack({ model: counted, members: records, nonMembers: records });
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`${counted.queries} label queries in ${seconds.toFixed(1)} s`);
    const budget = 2 * count * queryBudgetPerRecord(BOUNDARY_DEFAULTS);
    assert.ok(counted.queries <= budget, `${counted.queries} queries should stay within the budget of ${budget}`);
    assert.ok(seconds < 40, `boundary search on 4,000 records took ${seconds.toFixed(1)} s`);
    assert.equal(result.memberScores.length, count);
  });
});

describe('edge cases', () => {
  const records: Dataset = {
    source: 'tiny', count: 4, featureShape: [3],
    features: Float32Array.from([0, 1, 2, 1, 0, 2, 2, 2, 0, 1, 1, 1]), labels: Int32Array.from([0, 1, 0, 2]),
  };

  test('misclassified records are at distance 0; never-flipping ones are censored', async () => {
    const model = constantClassifier(3);
    const result = await labelOnlyBoundaryAttack({ model, members: records, nonMembers: records });
    const censored = CENSORED_RADIUS_FACTOR * BOUNDARY_DEFAULTS.maxRadius;
    assert.deepEqual(Array.from(result.memberScores), [censored, 0, censored, 0]);
    assert.match(result.notes[1], /4 records kept their label at every radius/);
    // A constant model never flips: every correct record walks all levels and no bisection.
    assert.equal(model.queries, 2 * (4 + 2 * BOUNDARY_DEFAULTS.directions * BOUNDARY_DEFAULTS.levels));
  });

  test('augmentation counts the fraction of correct labels', async () => {
    const result = await labelOnlyAugmentationAttack({ model: constantClassifier(3), members: records, nonMembers: records });
    assert.deepEqual(Array.from(result.memberScores), [1, 0, 1, 0]);
  });

  test("flat records take the model's image input shape", async () => {
    const model = { ...constantClassifier(3), inputShape: [8, 8, 3] };
    const flat: Dataset = { source: 'flat', count: 2, featureShape: [192], features: new Float32Array(384), labels: Int32Array.from([0, 1]) };
    const result = await labelOnlyAugmentationAttack({ model, members: flat, nonMembers: flat });
    assert.match(result.notes[0], /on 8x8x3 images/);
  });

  test('mismatched record shapes and bad options are errors', async () => {
    const model = constantClassifier(3);
    const other = { ...records, featureShape: [1, 3] };
    await assert.rejects(labelOnlyBoundaryAttack({ model, members: records, nonMembers: other }), /shape \[3\] but non-members \[1, 3\]/);
    await assert.rejects(labelOnlyBoundaryAttack({ model, members: records, nonMembers: records }, { directions: 0 }), /directions must be a positive integer/);
    await assert.rejects(labelOnlyAugmentationAttack({ model, members: records, nonMembers: records }, { tabularQueries: 1 }), /tabularQueries/);
  });
});
