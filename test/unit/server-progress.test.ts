import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressReport, share } from '../../src/server/progress-message';

test('progress reads "audit X: stage (done/total)" with the share of the whole request', () => {
  const r = progressReport({ audit: 'mnist', stage: 'attack loss-threshold', done: 3, total: 8 }, { index: 1, count: 2 });
  assert.equal(r.message, 'audit mnist: attack loss-threshold (3/8)');
  assert.equal(r.percentage, Math.floor(100 * (1 + 3 / 8) / 2));
});

test('percentages stay within 0..100 and nest for sweeps', () => {
  assert.equal(share({ index: 0, count: 4 }, 0), 0);
  assert.equal(share({ index: 3, count: 4 }, 1), 100);
  assert.equal(share({ index: 5, count: 4 }, 1), 100);
  assert.equal(share({ index: 0, count: 0 }, 0), 100);
  // Target 2 of 4 in a sweep, its audits half done.
  assert.equal(share({ index: 1, count: 4 }, progressReport({ audit: 'a', stage: 's', done: 1, total: 2 }, { index: 0, count: 1 }).percentage / 100), 37);
});
