import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { uniformRandom } from '../../src/engine/random';
import { predictedLabels } from '../../src/engine/attacks/signals';
import { gaussianNoise, labelsOnly, reverseSigmoid, roundProbabilities, topK } from '../../src/engine/defenses/output-defenses';

const CLASSES = 10;

/** Random softmax rows from seeded logits, with a spread of confidences. */
function randomProbabilities(records: number, seed: number): Float32Array {
  const rand = uniformRandom(seed);
  const out = new Float32Array(records * CLASSES);
  for (let r = 0; r < records; r++) {
    const scale = 0.5 + 8 * rand();
    const logits = Array.from({ length: CLASSES }, () => scale * rand());
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, c) => (out[r * CLASSES + c] = e / sum));
  }
  return out;
}

// Hand-made edge rows: one-hot, uniform, exact zeros, near-ties.
const EDGE = Float32Array.from([
  ...[1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  ...Array(CLASSES).fill(0.1),
  ...[0, 0, 0.6, 0.4, 0, 0, 0, 0, 0, 0],
  ...[0.26, 0.25, 0.24, 0.25, 0, 0, 0, 0, 0, 0],
]);

const INPUTS = [randomProbabilities(200, 7), EDGE];

function assertDistributions(out: Float32Array, what: string): void {
  for (let r = 0; r < out.length / CLASSES; r++) {
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) {
      const p = out[r * CLASSES + c]!;
      assert.ok(p >= 0 && Number.isFinite(p), `${what}: record ${r} class ${c} is ${p}`);
      sum += p;
    }
    assert.ok(Math.abs(sum - 1) <= 1e-6, `${what}: record ${r} sums to ${sum}`);
  }
}

function assertSameArgmax(input: Float32Array, out: Float32Array, what: string): void {
  const before = predictedLabels(input, CLASSES);
  const after = predictedLabels(out, CLASSES);
  for (let r = 0; r < before.length; r++) {
    assert.equal(after[r], before[r], `${what}: record ${r} top class changed from ${before[r]} to ${after[r]}`);
  }
}

const ARGMAX_KEEPING: [string, (p: Float32Array) => Float32Array][] = [
  ['topK k=1', (p) => topK(p, CLASSES, 1)],
  ['topK k=3', (p) => topK(p, CLASSES, 3)],
  ['topK k=10', (p) => topK(p, CLASSES, CLASSES)],
  ['round 0 decimals', (p) => roundProbabilities(p, CLASSES, 0)],
  ['round 1 decimal', (p) => roundProbabilities(p, CLASSES, 1)],
  ['round 3 decimals', (p) => roundProbabilities(p, CLASSES, 3)],
  ['labelsOnly', (p) => labelsOnly(p, CLASSES)],
  ['reverseSigmoid monotone (beta 0.5, gamma 1.5)', (p) => reverseSigmoid(p, CLASSES, 0.5, 1.5)],
  ['reverseSigmoid reordering (beta 0.8, gamma 0.2)', (p) => reverseSigmoid(p, CLASSES, 0.8, 0.2)],
  ['reverseSigmoid strong (beta 3, gamma 4)', (p) => reverseSigmoid(p, CLASSES, 3, 4)],
];

describe('output defenses keep valid distributions and the top class', () => {
  for (const [name, defend] of ARGMAX_KEEPING) {
    test(name, () => {
      for (const input of INPUTS) {
        const copy = input.slice();
        const out = defend(input);
        assert.deepEqual(input, copy, `${name} modified its input`);
        assertDistributions(out, name);
        assertSameArgmax(input, out, name);
      }
    });
  }

  test('gaussianNoise keeps valid distributions', () => {
    for (const input of INPUTS) assertDistributions(gaussianNoise(input, CLASSES, 2, 1), 'gaussianNoise');
  });
});

describe('topK', () => {
  test('keeps the k largest and renormalises', () => {
    const out = topK(Float32Array.from([0.1, 0.5, 0.15, 0.25]), 4, 2);
    [0, 0.5 / 0.75, 0, 0.25 / 0.75].forEach((e, c) => assert.ok(Math.abs(out[c]! - e) < 1e-6, `class ${c}: ${out[c]} vs ${e}`));
  });
});

describe('roundProbabilities', () => {
  test('values lie on the decimal grid and move less than two steps', () => {
    const input = INPUTS[0]!;
    const out = roundProbabilities(input, CLASSES, 2);
    for (let i = 0; i < out.length; i++) {
      const units = out[i]! * 100;
      assert.ok(Math.abs(units - Math.round(units)) < 1e-4, `entry ${i} = ${out[i]} is not on the 0.01 grid`);
      // One step of rounding plus at most one step of tie repair with the top class.
      assert.ok(Math.abs(out[i]! - input[i]!) < 0.02, `entry ${i} moved from ${input[i]} to ${out[i]}`);
    }
  });

  test('0 decimals is the one-hot label', () => {
    assert.deepEqual(roundProbabilities(INPUTS[0]!, CLASSES, 0), labelsOnly(INPUTS[0]!, CLASSES));
  });
});

describe('reverseSigmoid', () => {
  test('applies y - beta (s(gamma logit y) - 1/2), renormalised', () => {
    const y = [0.7, 0.2, 0.1];
    const beta = 0.4;
    const gamma = 1.5;
    const raw = y.map((p) => p - beta * (1 / (1 + Math.exp(-gamma * Math.log(p / (1 - p)))) - 0.5));
    const sum = raw.reduce((a, b) => a + b, 0);
    const out = reverseSigmoid(Float32Array.from(y), 3, beta, gamma);
    raw.forEach((v, c) => assert.ok(Math.abs(out[c]! - v / sum) < 1e-6, `class ${c}: ${out[c]} vs ${v / sum}`));
  });

  test('flattens confident outputs', () => {
    const out = reverseSigmoid(Float32Array.from([0.97, 0.02, 0.01]), 3, 0.5, 1.5);
    assert.ok(out[0]! < 0.97, `top probability should drop, got ${out[0]}`);
  });
});

describe('gaussianNoise', () => {
  test('is reproducible from the seed and changes with it', () => {
    const input = INPUTS[0]!;
    assert.deepEqual(gaussianNoise(input, CLASSES, 0.5, 3), gaussianNoise(input, CLASSES, 0.5, 3));
    assert.notDeepEqual(gaussianNoise(input, CLASSES, 0.5, 3), gaussianNoise(input, CLASSES, 0.5, 4));
  });

  test('sigma 0 returns the input', () => {
    const input = INPUTS[0]!;
    const out = gaussianNoise(input, CLASSES, 0, 1);
    for (let i = 0; i < out.length; i++) assert.ok(Math.abs(out[i]! - input[i]!) < 1e-6, `entry ${i}: ${out[i]} vs ${input[i]}`);
  });

  test('zero-probability classes stay zero', () => {
    const out = gaussianNoise(EDGE, CLASSES, 1, 2);
    assert.equal(out[2 * CLASSES], 0, 'class 0 of record 2 had probability 0');
  });

  test('large noise changes some top classes', () => {
    const input = INPUTS[0]!;
    const before = predictedLabels(input, CLASSES);
    const after = predictedLabels(gaussianNoise(input, CLASSES, 3, 5), CLASSES);
    assert.ok(before.some((label, r) => label !== after[r]), 'sigma 3 logit noise should flip some predictions');
  });
});

describe('invalid settings', () => {
  const p = INPUTS[0]!;
  test('throw RangeError naming the parameter', () => {
    assert.throws(() => topK(p, CLASSES, 0), { name: 'RangeError', message: /\bk\b/ });
    assert.throws(() => topK(p, CLASSES, CLASSES + 1), { name: 'RangeError', message: /\bk\b/ });
    assert.throws(() => roundProbabilities(p, CLASSES, -1), { name: 'RangeError', message: /decimals/ });
    assert.throws(() => gaussianNoise(p, CLASSES, -0.1, 1), { name: 'RangeError', message: /sigma/ });
    assert.throws(() => reverseSigmoid(p, CLASSES, 0, 1), { name: 'RangeError', message: /beta/ });
    assert.throws(() => reverseSigmoid(p, CLASSES, -1, 1), { name: 'RangeError', message: /beta/ });
    assert.throws(() => reverseSigmoid(p, CLASSES, 1, 0), { name: 'RangeError', message: /gamma/ });
    assert.throws(() => labelsOnly(p, 3), { name: 'RangeError', message: /numClasses/ });
    assert.throws(() => labelsOnly(Float32Array.from([0.5, -0.1]), 2), { name: 'RangeError', message: /probabilities/ });
  });
});
