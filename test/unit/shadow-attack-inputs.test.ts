import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmiaInput, shadowSignals } from '../../src/engine/audit/shadow-attack-inputs';

// 2 records, 2 shadows, 2 queries, 2 classes. Probabilities chosen so every (record, shadow, query) is distinct.
const p = (py: number) => [1 - py, py];
const labels = Int32Array.from([1, 0]);
const target = {
  records: 2, queries: 2,
  // record 0: queries 0.9, 0.8 of class 1; record 1: class-0 probabilities 0.7, 0.6 (written as [p0, p1]).
  probabilities: Float32Array.from([...p(0.9), ...p(0.8), 0.7, 0.3, 0.6, 0.4]),
};
const shadowOutputs = {
  shadows: 2, queries: 2, numClasses: 2, keep: Uint8Array.from([1, 0, 0, 1]),
  auditProbabilities: [
    Float32Array.from([...p(0.95), ...p(0.85), 0.55, 0.45, 0.65, 0.35]),
    Float32Array.from([...p(0.6), ...p(0.5), 0.75, 0.25, 0.8, 0.2]),
  ],
  populationProbabilities: [Float32Array.from([0.1, 0.9]), Float32Array.from([0.2, 0.8])],
};

const phi = (py: number) => Math.log(py) - Math.log(1 - py);

test('LiRA statistics land at [record][shadow][query]', () => {
  const s = shadowSignals(shadowOutputs, target, labels, 'lira-statistic');
  assert.equal(s.shadow.length, 8, 'records x shadows x queries');
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);
  close(s.target[0 * 2 + 1], phi(0.8), 'target record 0 query 1');
  close(s.target[1 * 2 + 0], phi(0.7), 'target record 1 query 0 (label 0)');
  close(s.shadow[(0 * 2 + 1) * 2 + 0], phi(0.6), 'record 0, shadow 1, query 0');
  close(s.shadow[(1 * 2 + 0) * 2 + 1], phi(0.65), 'record 1, shadow 0, query 1');
  assert.deepEqual(Array.from(s.keep!), [1, 0, 0, 1]);
});

test('RMIA input takes the true-class probability of the identity query', () => {
  const r = rmiaInput(shadowOutputs, target, labels, { probabilities: Float32Array.from([0.3, 0.7]), labels: Int32Array.from([1]) });
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);
  close(r.targetProb[0], 0.9, 'target record 0');
  close(r.targetProb[1], 0.7, 'target record 1');
  close(r.referenceProb[0 * 2 + 1], 0.6, 'record 0, reference 1');
  close(r.referenceProb[1 * 2 + 0], 0.55, 'record 1, reference 0');
  close(r.populationReferenceProb[1], 0.8, 'population 0, reference 1');
  close(r.populationTargetProb[0], 0.7, 'population target');
});
