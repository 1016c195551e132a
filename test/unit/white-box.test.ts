/**
 * White-box gradient-norm attack (Nasr et al.): per-record gradient norms match a brute-force
 * per-record tf.variableGrads loop, and members of a memorising model have smaller gradients.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { loadDataset } from '../../src/engine/artifacts/datasets';
import type { Dataset } from '../../src/engine/artifacts/dataset';
import { loadWhiteBoxModel, whiteBoxFromLayersModel, type WhiteBoxModel } from '../../src/engine/artifacts/models/gradient-access';
import { whiteBoxGradientAttack, type WhiteBoxScores } from '../../src/engine/attacks/white-box';
import { uniformRandom } from '../../src/engine/random';
import { computeAttackMetrics } from '../../src/engine/metrics';
import { overfitWorkspace } from '../helpers/overfit-workspace';

type OutputKind = 'probabilities' | 'logits' | 'sigmoid';

function auc(scores: WhiteBoxScores): number {
  const all = [...scores.memberScores, ...scores.nonMemberScores];
  return computeAttackMetrics(all, all.map((_, i) => i < scores.memberScores.length)).auc;
}

function randomRecords(count: number, featureShape: number[], classes: number, seed: number): Dataset {
  const rand = uniformRandom(seed);
  const size = featureShape.reduce((a, b) => a * b, 1);
  return {
    source: `random-${seed}`, count, featureShape,
    features: Float32Array.from({ length: count * size }, () => rand() * 2 - 1),
    labels: Int32Array.from({ length: count }, () => Math.floor(rand() * classes)),
  };
}

/**
 * Per layer, per record: the gradient norm of that record's loss over the layer's weights,
 * one tf.variableGrads call per record on the model's own output.
 */
function bruteForceNorms(model: tfl.LayersModel, records: Dataset, kind: OutputKind): Map<string, number[]> {
  const layers = model.layers.filter((l) => l.trainableWeights.length > 0);
  const out = new Map(layers.map((l) => [l.name, [] as number[]]));
  const size = records.features.length / records.count;
  for (let i = 0; i < records.count; i++) {
    tf.tidy(() => {
      const x = tf.tensor(records.features.subarray(i * size, (i + 1) * size), [1, ...records.featureShape]);
      const y = records.labels[i];
      const variables = layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
      const { grads } = tf.variableGrads(() => {
        const output = tf.reshape(model.apply(x, { training: false }) as tf.Tensor, [-1]);
        if (kind === 'sigmoid') {
          const p = tf.sum(output);
          return tf.neg(y === 1 ? tf.log(p) : tf.log(tf.sub(1, p))) as tf.Scalar;
        }
        // A one-hot product, not tf.gather: gather's gradient has no wasm kernel.
        const picked = tf.sum(tf.mul(output, tf.reshape(tf.oneHot([y], output.shape[0]), [-1])));
        if (kind === 'probabilities') return tf.neg(tf.log(picked)) as tf.Scalar;
        return tf.sub(tf.logSumExp(output), picked) as tf.Scalar;
      }, variables);
      for (const layer of layers) {
        const squares = layer.trainableWeights.reduce((s, w) => s + tf.sum(tf.square(grads[(w.read() as tf.Variable).name])).dataSync()[0], 0);
        out.get(layer.name)!.push(Math.sqrt(squares));
      }
    });
  }
  return out;
}

async function assertMatchesBruteForce(model: tfl.LayersModel, records: Dataset, kind: OutputKind, batchSize = 3): Promise<WhiteBoxModel> {
  const whiteBox = whiteBoxFromLayersModel(model);
  const fast = await whiteBox.perExampleGradientNorms(records.features, records.featureShape, records.labels, records.count, { batchSize });
  const slow = bruteForceNorms(model, records, kind);
  assert.equal(fast.length, slow.size, 'one result per layer with weights');
  for (const layer of fast) {
    const expected = slow.get(layer.name)!;
    layer.weightNorms.forEach((value, i) => {
      const relative = Math.abs(value - expected[i]) / Math.max(expected[i], 1e-12);
      assert.ok(relative < 1e-4, `${layer.name} (${layer.method}) record ${i}: ${value} vs brute force ${expected[i]} (relative ${relative.toExponential(2)})`);
    });
  }
  return whiteBox;
}

describe('per-record gradient norms equal a brute-force per-record loop', () => {
  before(() => initBackend('auto'));

  test('Dense MLP with softmax and dropout: factorised norms', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [6], units: 16, activation: 'tanh' }),
        tfl.layers.dropout({ rate: 0.5 }),
        tfl.layers.dense({ units: 8, activation: 'relu' }),
        tfl.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    const whiteBox = await assertMatchesBruteForce(model, randomRecords(7, [6], 4, 1), 'probabilities');
    assert.deepEqual(whiteBox.layers.map((l) => l.method), ['dense-factorised', 'dense-factorised', 'dense-factorised']);
    whiteBox.dispose();
  });

  test('logits output, no bias on one layer, separate softmax layer', async () => {
    const logits = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [5], units: 12, activation: 'relu', useBias: false }),
        tfl.layers.dense({ units: 3 }),
      ],
    });
    (await assertMatchesBruteForce(logits, randomRecords(6, [5], 3, 2), 'logits')).dispose();
    const softmaxLayer = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [5], units: 12, activation: 'elu' }),
        tfl.layers.dense({ units: 3 }),
        tfl.layers.activation({ activation: 'softmax' }),
      ],
    });
    (await assertMatchesBruteForce(softmaxLayer, randomRecords(6, [5], 3, 3), 'probabilities')).dispose();
  });

  test('single-unit sigmoid output', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [4], units: 10, activation: 'relu' }),
        tfl.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    const whiteBox = await assertMatchesBruteForce(model, randomRecords(6, [4], 2, 4), 'sigmoid');
    assert.equal(whiteBox.numClasses, 2);
    whiteBox.dispose();
  });

  test('CNN: Conv2D batched (im2col patches x output gradients), Dense factorised', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const whiteBox = await assertMatchesBruteForce(model, randomRecords(5, [6, 6, 1], 3, 5), 'probabilities');
    assert.deepEqual(whiteBox.layers.map((l) => l.method), ['conv2d-batched', 'dense-factorised']);
    whiteBox.dispose();
  });

  test('CNN geometries: same padding, strides, no bias, pooling between, both im2col paths', async () => {
    // 3x3x3 patches (27 wide) take the identity-convolution im2col, 3x3x8 and 2x2x16 (72, 64+) the sliced one.
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [12, 10, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'tanh' }),
        tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
        tfl.layers.conv2d({ filters: 5, kernelSize: [2, 3], padding: 'valid', activation: 'elu' }), // 3x3 -> 2x1
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 4 }),
      ],
    });
    const whiteBox = await assertMatchesBruteForce(model, randomRecords(7, [12, 10, 3], 4, 11), 'logits');
    assert.deepEqual(whiteBox.layers.map((l) => l.method), ['conv2d-batched', 'conv2d-batched', 'conv2d-batched', 'dense-factorised']);
    whiteBox.dispose();
    const strided = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [10, 10, 2], filters: 4, kernelSize: 3, strides: [1, 2], padding: 'same', activation: 'relu' }),
        tfl.layers.conv2d({ filters: 3, kernelSize: 2, strides: [2, 1], padding: 'valid', activation: 'sigmoid' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    const second = await assertMatchesBruteForce(strided, randomRecords(6, [10, 10, 2], 2, 12), 'sigmoid');
    assert.deepEqual(second.layers.map((l) => l.method), ['conv2d-batched', 'conv2d-batched', 'dense-factorised']);
    second.dispose();
  });

  test('CNN: a batch whose patches exceed one matmul is split by records', async () => {
    // 38x38 positions x 72-wide patches: 104k values a record, so 161 records per matmul of the 170-record batch.
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [40, 40, 8], filters: 2, kernelSize: 3, activation: 'relu' }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    (await assertMatchesBruteForce(model, randomRecords(170, [40, 40, 8], 3, 13), 'probabilities', 170)).dispose();
  });

  test('BatchNormalization batched (gamma: sum of delta x xhat, beta: sum of delta), after Conv2D and after Dense; PReLU on the loop', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 2, activation: 'relu' }),
        tfl.layers.batchNormalization({}),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 6 }),
        tfl.layers.batchNormalization({ epsilon: 0.01 }),
        tfl.layers.prelu({}),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    // Trained-looking statistics and scales, so xhat is not x.
    const rand = uniformRandom(15);
    for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
      layer.setWeights(layer.weights.map((w) => {
        const shape = w.shape as number[];
        const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (/variance/.test(w.name) ? 0.2 + rand() : rand() * 2 - 1));
        return tf.tensor(values, shape);
      }));
    }
    const whiteBox = await assertMatchesBruteForce(model, randomRecords(6, [5, 5, 2], 3, 14), 'probabilities');
    assert.deepEqual(whiteBox.layers.map((l) => l.method), ['conv2d-batched', 'batchnorm-batched', 'dense-factorised', 'batchnorm-batched', 'per-example', 'dense-factorised']);
    whiteBox.dispose();
  });

  test('no tensors leak, and labels outside the classes are errors', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const whiteBox = whiteBoxFromLayersModel(model);
    const records = randomRecords(5, [4, 4, 1], 3, 9);
    await whiteBox.perExampleGradientNorms(records.features, records.featureShape, records.labels, records.count);
    const before = tf.memory().numTensors;
    await whiteBox.perExampleGradientNorms(records.features, records.featureShape, records.labels, records.count, { batchSize: 2 });
    assert.equal(tf.memory().numTensors, before, 'tensor count after a second run');
    const labels = Int32Array.from(records.labels);
    labels[2] = 3;
    await assert.rejects(whiteBox.perExampleGradientNorms(records.features, records.featureShape, labels, records.count), /record 2 has label 3; this model has classes 0..2/);
    whiteBox.dispose();
  });

  test('branching functional model: every layer by the per-record loop', async () => {
    const input = tfl.input({ shape: [5] });
    const left = tfl.layers.dense({ units: 4, activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
    const right = tfl.layers.dense({ units: 4, activation: 'tanh' }).apply(input) as tfl.SymbolicTensor;
    const merged = tfl.layers.concatenate().apply([left, right]) as tfl.SymbolicTensor;
    const output = tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(merged) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    const whiteBox = await assertMatchesBruteForce(model, randomRecords(4, [5], 3, 6), 'probabilities');
    assert.ok(whiteBox.layers.every((l) => l.method === 'per-example'), `methods: ${whiteBox.layers.map((l) => l.method).join(', ')}`);
    whiteBox.dispose();
  });
});

describe('white-box attack', () => {
  let members: Dataset;
  let nonMembers: Dataset;
  let population: Dataset;
  let model: WhiteBoxModel;
  before(async () => {
    const ws = await overfitWorkspace();
    const load = (file: string) => loadDataset({ path: file, label: 'label' }, ws.dir);
    [members, nonMembers, population] = await Promise.all([load('train.csv'), load('test.csv'), load('population.csv')]);
    model = await loadWhiteBoxModel(path.join(ws.dir, 'model', 'model.json'));
  });

  test('members of a memorising MLP have smaller gradients', async (t) => {
    const result = await whiteBoxGradientAttack({ model, members, nonMembers });
    const value = auc(result);
    t.diagnostic(`AUC ${value.toFixed(3)}`);
    assert.ok(value > 0.8, `white-box AUC ${value.toFixed(3)} should be clearly above 0.5`);
    assert.equal(result.memberLayers.length, 2, 'per-layer norms for both Dense layers');
    assert.ok(result.memberLayers.every((l) => l.outputNorms?.length === members.count), 'Dense layers report activation-gradient norms');
    // The score is minus the norm of all layers' gradients together.
    const expected = -Math.hypot(result.memberLayers[0].weightNorms[0], result.memberLayers[1].weightNorms[0]);
    assert.ok(Math.abs(result.memberScores[0] - expected) < 1e-12 * Math.abs(expected), `score ${result.memberScores[0]} vs ${expected}`);
  });

  test('stays near chance when neither group was trained on', async (t) => {
    const value = auc(await whiteBoxGradientAttack({ model, members: nonMembers, nonMembers: population }));
    t.diagnostic(`AUC ${value.toFixed(3)}`);
    assert.ok(Math.abs(value - 0.5) < 0.1, `white-box AUC ${value.toFixed(3)} should be near 0.5 (150 vs 300 records)`);
  });

  test('per-record layers beyond the record limit are left out, with a note; Conv2D and BatchNormalization are batched and never left out', async () => {
    const cnn = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3 }),
        tfl.layers.batchNormalization({}),
        tfl.layers.prelu({}),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    const whiteBox = whiteBoxFromLayersModel(cnn);
    const records = randomRecords(6, [4, 4, 1], 2, 7);
    const limited = await whiteBoxGradientAttack({ model: whiteBox, members: records, nonMembers: records }, { maxPerExampleRecords: 10 });
    assert.deepEqual(limited.memberLayers.map((l) => l.className), ['Conv2D', 'BatchNormalization', 'Dense']);
    assert.match(limited.notes[1], /p_re_lu.*\(PReLU\).*were left out: 12 records exceed the limit of 10/);
    const full = await whiteBoxGradientAttack({ model: whiteBox, members: records, nonMembers: records });
    assert.deepEqual(full.memberLayers.map((l) => l.className), ['Conv2D', 'BatchNormalization', 'PReLU', 'Dense']);
    assert.ok(full.memberScores.every((s, i) => s <= limited.memberScores[i]), 'adding layers can only grow the norm');
    whiteBox.dispose();
  });

  test('a model with only per-record layers over the limit is an error', async () => {
    const input = tfl.input({ shape: [3] });
    const a = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
    const out = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
    const whiteBox = whiteBoxFromLayersModel(tfl.model({ inputs: input, outputs: out }));
    const records = randomRecords(3, [3], 2, 8);
    await assert.rejects(
      whiteBoxGradientAttack({ model: whiteBox, members: records, nonMembers: records }, { maxPerExampleRecords: 5 }),
      /6 records exceed the limit of 5/,
    );
    whiteBox.dispose();
  });
});
