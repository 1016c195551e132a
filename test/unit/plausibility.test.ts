import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binomialCdf, checkPlausibility, summarizeFeatures, throwIfImplausible, ImplausibleInputError, type PlausibilityInput } from '../../src/engine/audit/plausibility';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'plausibility');
const reference = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'per-channel.json'), 'utf8')) as { binomialCdf: [number, number, number, number][] };

/** Seeded uniform numbers, so every run checks the same records. */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
}

/**
 * A group of n records over k classes: labels drawn with the given class weights, and a model
 * that is right with probability `acc` (else a random other class), with true-class probability
 * drawn around `confidence` when right.
 */
function group(n: number, k: number, acc: number, opts: { seed: number; weights?: number[]; confidence?: number; always?: number }) {
  const rand = rng(opts.seed);
  const weights = opts.weights ?? new Array(k).fill(1 / k);
  const labels = new Int32Array(n);
  const probabilities = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    let u = rand();
    let y = 0;
    while (y < k - 1 && u >= weights[y]) (u -= weights[y]), y++;
    labels[r] = y;
    const right = rand() < acc;
    const predicted = opts.always ?? (right ? y : (y + 1 + Math.floor(rand() * (k - 1))) % k);
    const top = Math.min(0.99, (opts.confidence ?? 0.8) + 0.1 * (rand() - 0.5));
    for (let c = 0; c < k; c++) probabilities[r * k + c] = c === predicted ? top : (1 - top) / (k - 1);
  }
  return { labels, probabilities };
}

const tabular = { min: -3, max: 3, integerValued: false };

function input(members: ReturnType<typeof group>, nonMembers: ReturnType<typeof group>, k: number, extra: Partial<PlausibilityInput> = {}): PlausibilityInput {
  return { numClasses: k, members, nonMembers, memberFeatures: tabular, inputShape: [8], preprocess: {}, ...extra };
}

test('binomial lower tails agree with scipy.stats.binom.cdf', () => {
  for (const [k, n, p, expected] of reference.binomialCdf) {
    const got = binomialCdf(k, n, p);
    assert.ok(Math.abs(got - expected) <= 1e-10 + 1e-8 * expected, `P(X <= ${k} | ${n}, ${p}) = ${got}, scipy ${expected}`);
  }
});

test('a correctly specified, overfit model gives no plausibility check', () => {
  const checks = checkPlausibility(input(group(400, 3, 0.98, { seed: 1, confidence: 0.95 }), group(400, 3, 0.8, { seed: 2, confidence: 0.7 }), 3));
  assert.deepEqual(checks, []);
  // A well-generalising model (same accuracy on both sides) is not called swapped either.
  assert.deepEqual(checkPlausibility(input(group(2000, 10, 0.9, { seed: 3 }), group(2000, 10, 0.9, { seed: 4 }), 10)), []);
});

test('member accuracy at chance stops the audit on many records, and only warns on 50', () => {
  const many = checkPlausibility(input(group(400, 3, 0.33, { seed: 5 }), group(400, 3, 0.33, { seed: 6 }), 3));
  const stop = many.find((c) => c.rule === 'accuracy-at-chance');
  assert.ok(stop, JSON.stringify(many));
  assert.equal(stop.verdict, 'stop');
  assert.deepEqual(stop.keys, ['members']);
  assert.throws(() => throwIfImplausible(many, 'model.onnx'), (e: unknown) => e instanceof ImplausibleInputError && e.rule === 'accuracy-at-chance');
  // 50 binary records at 50%: a weak model could score that by chance, so the audit goes on with a warning.
  const few = checkPlausibility(input(group(50, 2, 0.5, { seed: 7 }), group(50, 2, 0.5, { seed: 8 }), 2));
  const warn = few.find((c) => c.rule === 'accuracy-at-chance');
  if (warn) assert.equal(warn.verdict, 'finding');
  assert.ok(!few.some((c) => c.verdict === 'stop'), JSON.stringify(few));
  assert.doesNotThrow(() => throwIfImplausible(few, 'model.onnx'));
  // A skewed label mix: 75% accuracy is what always answering the 75% class gives.
  const skewed = checkPlausibility(input(group(1500, 2, 0, { seed: 9, weights: [0.75, 0.25], always: 0 }), group(1500, 2, 0, { seed: 10, weights: [0.75, 0.25], always: 0 }), 2));
  assert.ok(skewed.some((c) => c.rule === 'accuracy-at-chance' && c.verdict === 'stop'), JSON.stringify(skewed.map((c) => [c.rule, c.verdict, c.data])));
  // Answering one class is degenerate only when the labels are spread: 100% predicted for 75% labels is.
  assert.ok(skewed.some((c) => c.rule === 'degenerate-model'));
  const mild = checkPlausibility(input(group(600, 2, 0.9, { seed: 21, weights: [0.9, 0.1], always: 0 }), group(600, 2, 0.9, { seed: 22, weights: [0.9, 0.1], always: 0 }), 2));
  assert.ok(!mild.some((c) => c.rule === 'degenerate-model'), 'one class predicted for 90% labels is not degenerate');
});

test('a legitimately weak model on imbalanced labels is not stopped: the skill bar is relative to the majority rate', () => {
  // 99% of labels in class 0; the model is right on 99.2% (a few minority records caught).
  const k = 2;
  const n = 10000;
  const make = (seed: number) => {
    const labels = new Int32Array(n);
    const probabilities = new Float32Array(n * k);
    for (let r = 0; r < n; r++) {
      labels[r] = r % 100 === 0 ? 1 : 0;
      const predicted = labels[r] === 1 && (r / 100) % 5 === seed % 5 ? 1 : 0;
      probabilities[r * k + predicted] = 0.9;
      probabilities[r * k + 1 - predicted] = 0.1;
    }
    return { labels, probabilities };
  };
  const checks = checkPlausibility(input(make(1), make(2), k));
  assert.ok(!checks.some((c) => c.verdict === 'stop'), JSON.stringify(checks));
});

test('a model that answers one class for balanced labels is degenerate and stops the audit', () => {
  const checks = checkPlausibility(input(group(300, 4, 0, { seed: 11, always: 2 }), group(300, 4, 0, { seed: 12, always: 2 }), 4));
  assert.equal(checks[0].rule, 'degenerate-model');
  assert.equal(checks[0].verdict, 'stop');
  assert.deepEqual(checks[0].keys, ['model']);
  assert.match(checks[0].message, /predicts class 2 for 100\.0% of the 600/);
});

test('swapped files: clearly better fit on the non-members stops; a slight one does not', () => {
  const members = group(500, 3, 0.8, { seed: 13, confidence: 0.7 });
  const nonMembers = group(500, 3, 0.99, { seed: 14, confidence: 0.95 });
  const checks = checkPlausibility(input(members, nonMembers, 3));
  const swap = checks.find((c) => c.rule === 'swapped-membership');
  assert.ok(swap && swap.verdict === 'stop', JSON.stringify(checks));
  assert.ok((swap.data.auc as number) < 0.5);
  assert.deepEqual(swap.keys, ['nonMembers', 'members']);
  // One point of negative gap on 10,000 records each is within what equal fits give.
  const close = checkPlausibility(input(group(10000, 10, 0.9, { seed: 15 }), group(10000, 10, 0.905, { seed: 16 }), 10));
  assert.ok(!close.some((c) => c.verdict === 'stop'), JSON.stringify(close));
});

test('raw pixels fed to an image model with no preprocessing named is a feature-scale finding, not a stop', () => {
  const pixels = summarizeFeatures(Float32Array.from([0, 12, 255, 254, 3]));
  assert.deepEqual(pixels, { min: 0, max: 255, integerValued: true });
  const fine = [group(300, 10, 0.95, { seed: 17 }), group(300, 10, 0.85, { seed: 18 })] as const;
  for (const inputShape of [[28, 28, 1], [784], [3, 32, 32], [32, 32]]) {
    const checks = checkPlausibility(input(...fine, 10, { memberFeatures: pixels, inputShape }));
    assert.deepEqual(checks.map((c) => [c.rule, c.verdict]), [['feature-scale', 'finding']], `shape ${inputShape}`);
    assert.deepEqual(checks[0].keys, ['preprocess', 'members']);
  }
  // Named preprocessing (even {"scale": 1} for a model that rescales itself), scaled values, or tabular records: no finding.
  assert.deepEqual(checkPlausibility(input(...fine, 10, { memberFeatures: pixels, inputShape: [784], preprocess: { scale: 1 } })), []);
  assert.deepEqual(checkPlausibility(input(...fine, 10, { memberFeatures: { min: 0, max: 1, integerValued: false }, inputShape: [784] })), []);
  assert.deepEqual(checkPlausibility(input(...fine, 10, { memberFeatures: pixels, inputShape: [12] })), []);
  // scikit-learn's 8x8 digits are whole numbers 0-16 and models are trained on them as they are.
  assert.deepEqual(checkPlausibility(input(...fine, 10, { memberFeatures: { min: 0, max: 16, integerValued: true }, inputShape: [64] })), []);
});

test('an explicit layout the model is far less accurate under stops on "layout"; a detected one is information', () => {
  const fine = [group(300, 3, 0.95, { seed: 19 }), group(300, 3, 0.85, { seed: 20 })] as const;
  const wrong = checkPlausibility(input(...fine, 3, { layout: { stored: 'nchw', model: 'nchw', detected: false, explicit: true, accuracy: { nhwc: 0.97, nchw: 0.41 }, records: 300 } }));
  assert.equal(wrong[0].rule, 'image-layout');
  assert.equal(wrong[0].verdict, 'stop');
  assert.deepEqual(wrong[0].keys, ['layout']);
  assert.match(wrong[0].message, /set "layout": "nhwc"/);
  const right = checkPlausibility(input(...fine, 3, { layout: { stored: 'nhwc', model: 'nchw', detected: false, explicit: true, accuracy: { nhwc: 0.97, nchw: 0.41 }, records: 300 } }));
  assert.deepEqual(right, []);
  const detected = checkPlausibility(input(...fine, 3, { layout: { stored: 'nhwc', model: 'nchw', detected: true, accuracy: { nhwc: 0.97, nchw: 0.41 }, records: 300 } }));
  assert.deepEqual(detected.map((c) => [c.rule, c.verdict, c.severity]), [['image-layout', 'finding', 'info']]);
});
