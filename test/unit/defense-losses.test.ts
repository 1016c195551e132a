import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { flattenedTargets, smoothTargets } from '../../src/engine/defenses/training/losses';

function rows(t: tf.Tensor): number[][] {
  return (t.arraySync() as number[][]).map((r) => r.map((v) => Math.round(v * 1e6) / 1e6));
}

test('RelaxLoss flattening keeps the true-class confidence and spreads the rest evenly, for every row (authors\' code)', async () => {
  await initBackend('auto');
  const probabilities = tf.tensor2d([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]]);
  const oneHot = tf.tensor2d([[1, 0, 0], [1, 0, 0], [0, 0, 1]]);
  const targets = flattenedTargets(probabilities, oneHot);
  // By hand: row 1 keeps 0.7, spreads 0.3 as 0.15/0.15; row 2 (misclassified) keeps 0.1 and
  // spreads 0.9 as 0.45/0.45; row 3 keeps 0.5 on class 2.
  assert.deepEqual(rows(targets), [[0.7, 0.15, 0.15], [0.1, 0.45, 0.45], [0.25, 0.25, 0.5]], 'flattened targets');
  tf.dispose([probabilities, oneHot, targets]);
});

test('label smoothing moves epsilon of the label mass evenly over all classes', async () => {
  await initBackend('auto');
  const oneHot = tf.tensor2d([[0, 1, 0, 0]]);
  const targets = smoothTargets(oneHot, 0.2);
  assert.deepEqual(rows(targets), [[0.05, 0.85, 0.05, 0.05]], '(1 - 0.2) + 0.2 / 4 on the label, 0.2 / 4 elsewhere');
  tf.dispose([oneHot, targets]);
});
