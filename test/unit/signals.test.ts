import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSignals, rawSignal } from '../../src/engine/attacks/signals';

// Two records, three classes. Values checked against the papers' formulas written out by hand.
const probs = new Float32Array([0.7, 0.2, 0.1, 0.25, 0.25, 0.5]);
const labels = new Int32Array([0, 1]);

test('loss, confidence and entropy follow their definitions', () => {
  const s = computeSignals(probs, 3, labels);
  const p = Array.from(probs, (v) => Math.fround(v));
  // p_y > 0.5: p_y is taken as 1 - (sum of the other classes), exact in float64.
  assert.ok(Math.abs(rawSignal('loss', s.loss[0]) - -Math.log(1 - (p[1] + p[2]))) < 1e-12, 'loss from the other classes');
  assert.ok(Math.abs(rawSignal('loss', s.loss[0]) - -Math.log(0.7)) < 1e-6, 'loss close to -log 0.7');
  assert.ok(Math.abs(s.confidence[1] - p[4]) < 1e-12, 'Math.abs(s.confidence[1] - p[4]) < 1e-12');
  const py = 1 - (p[1] + p[2]);
  const h0 = -(py * Math.log(py) + p[1] * Math.log(p[1]) + p[2] * Math.log(p[2]));
  assert.ok(Math.abs(rawSignal('entropy', s.entropy[0]) - h0) < 1e-12, 'entropy');
});

test('modified entropy is Song & Mittal: -(1-p_y)log p_y - sum_{i!=y} p_i log(1-p_i)', () => {
  const s = computeSignals(probs, 3, labels);
  const [a, b, c] = [probs[3], probs[4], probs[5]];
  const expected = -(1 - b) * Math.log(b) - a * Math.log(1 - a) - c * Math.log(1 - c);
  assert.ok(Math.abs(rawSignal('modified-entropy', s['modified-entropy'][1]) - expected) < 1e-12);
});

test('LiRA statistic is log p_y - log sum of the other classes, exact near p_y = 1', () => {
  const s = computeSignals(probs, 3, labels);
  const others = probs[1] + probs[2];
  assert.ok(Math.abs(s['lira-statistic'][0] - (Math.log1p(-others) - Math.log(others))) < 1e-12, 'Math.abs(s[\'lira-statistic\'][0] - (Math.log1p(-others) - Math.log(others))) < 1e-12');
  // A float32 softmax stores p_y = 1 exactly once the other classes' mass is below 6e-8;
  // phi must still come out as log(1 - m) - log(m) from that mass m, not from p_y.
  const confident = new Float32Array([1, 1e-9, 2e-9]);
  const m = confident[1] + confident[2];
  const phi = computeSignals(confident, 3, new Int32Array([0]))['lira-statistic'][0];
  assert.ok(Math.abs(phi - (Math.log1p(-m) - Math.log(m))) < 1e-9, `${phi}`);
  assert.ok(phi > 19, 'phi > 19');
  // And the loss of that record is not tied at 0 with every other saturated record.
  assert.ok(computeSignals(confident, 3, new Int32Array([0])).loss[0] < 0, 'computeSignals(confident, 3, new Int32Array([0])).loss[0] < 0');
});

test('higher score means more member-like for every signal', () => {
  // Record 0 is confidently right (member-like), record 1 is unsure.
  const s = computeSignals(new Float32Array([0.98, 0.01, 0.01, 0.4, 0.3, 0.3]), 3, new Int32Array([0, 0]));
  for (const name of Object.keys(s) as (keyof typeof s)[]) assert.ok(s[name][0] > s[name][1], name);
});

test('a zero probability does not produce NaN', () => {
  const s = computeSignals(new Float32Array([0, 1]), 2, new Int32Array([0]));
  for (const v of Object.values(s)) assert.ok(Number.isFinite(v[0]), 'Number.isFinite(v[0])');
});
