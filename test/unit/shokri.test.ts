/**
 * Shokri et al.'s shadow-model attack and its logistic-regression attack classifier:
 * learns IN/OUT differences from shadow outputs, transfers them to the target, and stays
 * near chance when shadows show no difference.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadDataset } from '../../src/engine/artifacts/datasets';
import type { Dataset } from '../../src/engine/artifacts/dataset';
import { loadModel } from '../../src/engine/artifacts/models';
import { logisticProbability, trainLogisticRegression } from '../../src/engine/attacks/attack-classifier';
import { gaussianRandom, uniformRandom } from '../../src/engine/random';
import { featureCount, shokriAttack, writeFeatures, type ModelOutputs, type ShokriInput } from '../../src/engine/attacks/shokri';
import type { AttackScores } from '../../src/engine/attacks/threshold';
import { computeAttackMetrics } from '../../src/engine/metrics';
import { overfitWorkspace } from '../helpers/overfit-workspace';

function auc(scores: AttackScores): number {
  const all = [...scores.memberScores, ...scores.nonMemberScores];
  return computeAttackMetrics(all, all.map((_, i) => i < scores.memberScores.length)).auc;
}

/**
 * Softmax of N(0, 1) logits with `boost` added to the true class: a larger boost for IN
 * records mimics a model more confident on what it trained on.
 */
function syntheticOutputs(labels: Int32Array, numClasses: number, boostOf: (r: number) => number, seed: number): Float32Array {
  const normal = gaussianRandom(seed);
  const out = new Float32Array(labels.length * numClasses);
  labels.forEach((y, r) => {
    const z = Array.from({ length: numClasses }, (_, c) => normal() + (c === y ? boostOf(r) : 0));
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((v, c) => (out[r * numClasses + c] = v / sum));
  });
  return out;
}

function syntheticInput(inBoost: number, outBoost: number, numClasses = 5): ShokriInput {
  const records = 400;
  const shadows = 4;
  const rand = uniformRandom(11);
  const labels = (n: number) => Int32Array.from({ length: n }, () => Math.floor(rand() * numClasses));
  const shadowLabels = labels(records);
  const shadowKeep = Uint8Array.from({ length: records * shadows }, () => (rand() < 0.5 ? 1 : 0));
  const shadowProbabilities = Array.from({ length: shadows }, (_, s) =>
    syntheticOutputs(shadowLabels, numClasses, (r) => (shadowKeep[r * shadows + s] ? inBoost : outBoost), 100 + s));
  const target = (boost: number, seed: number): ModelOutputs => {
    const y = labels(300);
    return { labels: y, probabilities: syntheticOutputs(y, numClasses, () => boost, seed) };
  };
  return { shadowProbabilities, shadowLabels, shadowKeep, targetMembers: target(inBoost, 7), targetNonMembers: target(outBoost, 8), numClasses };
}

describe('attack classifier (logistic regression)', () => {
  test('recovers the coefficients of a logistic model', () => {
    const rows = 20000;
    const normal = gaussianRandom(3);
    const rand = uniformRandom(4);
    const features = new Float64Array(rows * 2);
    const targets = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      const a = normal();
      const b = normal();
      features[2 * r] = a;
      features[2 * r + 1] = b;
      targets[r] = rand() < 1 / (1 + Math.exp(-(1.5 * a - 2 * b + 0.5))) ? 1 : 0;
    }
    const model = trainLogisticRegression(features, 2, targets, { l2: 1e-6 });
    // Back from standardised to raw coefficients.
    const wa = model.weights[0] / model.scale[0];
    const wb = model.weights[1] / model.scale[1];
    const b = model.intercept - wa * model.mean[0] - wb * model.mean[1];
    for (const [name, got, want] of [['a', wa, 1.5], ['b', wb, -2], ['intercept', b, 0.5]] as const) {
      assert.ok(Math.abs(got - want) < 0.1, `coefficient ${name}: ${got.toFixed(3)}, expected about ${want}`);
    }
    assert.ok(model.iterations < 20, `Newton's method should converge in few steps, took ${model.iterations}`);
    const p = logisticProbability(model, [1, 1]);
    assert.ok(Math.abs(p - 1 / (1 + Math.exp(0))) < 0.05, `P(1 | a=1, b=1) = ${p.toFixed(3)}, expected about 0.5`);
  });

  test('perfectly separable data stays finite thanks to the ridge', () => {
    const features = Float64Array.from([-2, -1, 1, 2]);
    const model = trainLogisticRegression(features, 1, Uint8Array.from([0, 0, 1, 1]));
    assert.ok(Number.isFinite(model.weights[0]) && model.weights[0] > 0, `weight ${model.weights[0]}`);
    assert.ok(logisticProbability(model, [2]) > 0.5 && logisticProbability(model, [-2]) < 0.5, 'orders the two sides');
  });
});

describe('Shokri attack on synthetic shadow outputs', () => {
  test('beats chance when IN records get higher confidence', (t) => {
    const result = shokriAttack(syntheticInput(3, 1));
    const value = auc(result);
    t.diagnostic(`AUC ${value.toFixed(3)}`);
    assert.ok(value > 0.75, `Shokri AUC ${value.toFixed(3)} should be clearly above 0.5`);
    assert.ok(result.memberScores.every((p) => p >= 0 && p <= 1), 'scores are member probabilities');
    assert.equal(result.notes.length, 1, `every class has enough shadow outputs: ${result.notes.join(' ')}`);
  });

  test('stays near chance when IN and OUT outputs look alike', (t) => {
    const value = auc(shokriAttack(syntheticInput(2, 2)));
    t.diagnostic(`AUC ${value.toFixed(3)}`);
    assert.ok(Math.abs(value - 0.5) < 0.08, `Shokri AUC ${value.toFixed(3)} should be near 0.5 (300 vs 300 records)`);
  });

  test('classes with few shadow outputs fall back to one global classifier', () => {
    const result = shokriAttack(syntheticInput(3, 1), { minPerClass: 1000 });
    assert.match(result.notes[1], /Classes 0, 1, 2, 3, 4 have fewer than 1000 IN or OUT/);
    assert.ok(auc(result) > 0.75, 'the global classifier still separates');
  });

  test('features: sorted log top-k, log p_y, log of the rest', () => {
    const out = new Float64Array(featureCount(4));
    writeFeatures(Float32Array.from([0.1, 0.6, 0.2, 0.1]), 0, 2, 4, out);
    const expected = [0.6, 0.2, 0.1].map(Math.log).concat([Math.log(0.2), Math.log(0.8)]);
    out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `feature ${i}: ${v} vs ${expected[i]}`));
    // p_y rounded to 1 in float32: log p_y still comes from the other classes' mass.
    writeFeatures(Float32Array.from([1, 1e-9, 2e-9]), 0, 0, 3, out);
    assert.ok(Math.abs(out[3] - -3e-9) < 1e-15, `log p_y ${out[3]}, expected about -3e-9`);
  });

  test('inconsistent inputs are errors', () => {
    const good = syntheticInput(3, 1);
    assert.throws(() => shokriAttack({ ...good, shadowKeep: good.shadowKeep.subarray(1) }), /shadowKeep has 1599 entries/);
    assert.throws(() => shokriAttack({ ...good, shadowKeep: new Uint8Array(good.shadowKeep.length) }), /needs both/);
    const labels = Int32Array.from(good.targetMembers.labels);
    labels[3] = 5;
    assert.throws(() => shokriAttack({ ...good, targetMembers: { ...good.targetMembers, labels } }), /target member record 3 has label 5/);
  });
});

describe('Shokri attack with real shadow models', () => {
  test('shadow MLPs trained like the target expose its members', async (t) => {
    const ws = await overfitWorkspace();
    const load = (file: string) => loadDataset({ path: file, label: 'label' }, ws.dir);
    const [members, nonMembers, population] = await Promise.all([load('train.csv'), load('test.csv'), load('population.csv')]);
    const target = await loadModel(path.join(ws.dir, 'model', 'model.json'));
    const numClasses = target.numClasses;
    const outputs = async (d: Dataset): Promise<ModelOutputs> => ({
      labels: d.labels,
      probabilities: await target.predictProbabilities(d.features, d.featureShape, d.count),
    });

    // Four shadows, each trained like the target (same MLP, same epochs) on a random half
    // of the population records.
    const shadows = 4;
    const size = population.features.length / population.count;
    const rand = uniformRandom(21);
    const shadowKeep = Uint8Array.from({ length: population.count * shadows }, () => (rand() < 0.5 ? 1 : 0));
    const shadowProbabilities: Float32Array[] = [];
    for (let s = 0; s < shadows; s++) {
      const rows = Array.from({ length: population.count }, (_, r) => r).filter((r) => shadowKeep[r * shadows + s]);
      const model = tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [size], units: 64, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 31 + 2 * s }) }),
          tfl.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 32 + 2 * s }) }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
      const xs = tf.tensor2d(Float32Array.from(rows.flatMap((r) => Array.from(population.features.subarray(r * size, (r + 1) * size)))), [rows.length, size]);
      const ys = tf.tensor1d(rows.map((r) => population.labels[r]), 'float32');
      await model.fit(xs, ys, { epochs: 150, batchSize: 32, verbose: 0, shuffle: false });
      const all = tf.tensor2d(population.features, [population.count, size]);
      const probabilities = model.predict(all, { batchSize: population.count }) as tf.Tensor;
      shadowProbabilities.push((await probabilities.data()) as Float32Array);
      tf.dispose([xs, ys, all, probabilities]);
      model.dispose();
    }
    const result = shokriAttack(
      {
        shadowProbabilities, shadowLabels: population.labels, shadowKeep,
        targetMembers: await outputs(members), targetNonMembers: await outputs(nonMembers), numClasses,
      },
      { minPerClass: 20 },
    );
    target.dispose();
    const value = auc(result);
    t.diagnostic(`AUC ${value.toFixed(3)}`);
    assert.ok(value > 0.75, `Shokri AUC ${value.toFixed(3)} on the memorising MLP should be clearly above 0.5`);
  });
});
