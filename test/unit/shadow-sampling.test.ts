/**
 * Who trains on what: the keep matrix (every record IN for exactly half the shadows,
 * seeded), the training-set rule (IN records plus a population fill up to trainSize),
 * and the batch plan (each record once per epoch, in a seeded order).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchPlan } from '../../src/engine/shadow/batch-plan';
import { inCounts, keepMatrix } from '../../src/engine/shadow/keep-matrix';
import { buildTrainingSets } from '../../src/engine/shadow/training-sets';

describe('keepMatrix', () => {
  for (const shadows of [2, 5, 16]) {
    test(`${shadows} shadows: every record IN for floor(shadows/2)`, () => {
      const records = 500;
      const keep = keepMatrix(records, shadows, 42);
      assert.equal(keep.length, records * shadows);
      for (let r = 0; r < records; r++) {
        let ins = 0;
        for (let s = 0; s < shadows; s++) {
          assert.ok(keep[r * shadows + s] === 0 || keep[r * shadows + s] === 1, 'entries are 0 or 1');
          ins += keep[r * shadows + s];
        }
        assert.equal(ins, Math.floor(shadows / 2), `record ${r}`);
      }
      const counts = inCounts(keep, records, shadows);
      const expected = (records * Math.floor(shadows / 2)) / shadows;
      for (const c of counts) assert.ok(Math.abs(c - expected) < 0.2 * expected, `a shadow holds ${c} records, about ${expected} expected`);
    });
  }

  test('is reproducible from the seed and differs between seeds', () => {
    assert.deepEqual(keepMatrix(100, 8, 7), keepMatrix(100, 8, 7));
    assert.notDeepEqual(keepMatrix(100, 8, 7), keepMatrix(100, 8, 8));
  });

  test('shadows are not the same split', () => {
    const keep = keepMatrix(200, 4, 3);
    const column = (s: number) => Array.from({ length: 200 }, (_, r) => keep[r * 4 + s]).join('');
    assert.equal(new Set([0, 1, 2, 3].map(column)).size, 4, 'four distinct columns');
  });

  test('rejects impossible sizes', () => {
    assert.throws(() => keepMatrix(-1, 4, 1), RangeError);
    assert.throws(() => keepMatrix(10, 0, 1), RangeError);
  });
});

describe('buildTrainingSets', () => {
  const audit = 60;
  const population = 40;
  const shadows = 4;
  const keep = keepMatrix(audit, shadows, 11);
  const counts = inCounts(keep, audit, shadows);

  test('each shadow gets its IN records and a population fill up to trainSize', () => {
    const trainSize = Math.max(...counts) + 5;
    const sets = buildTrainingSets(keep, audit, population, shadows, trainSize, 11);
    for (let s = 0; s < shadows; s++) {
      const members = Array.from(sets.members[s]);
      assert.equal(members.length, trainSize, `shadow ${s} size`);
      assert.equal(new Set(members).size, members.length, 'no record twice');
      const auditPart = members.filter((r) => r < audit);
      const expectedIn = Array.from({ length: audit }, (_, r) => r).filter((r) => keep[r * shadows + s] === 1);
      assert.deepEqual(auditPart, expectedIn, `shadow ${s} trains on exactly its IN audit records`);
      const populationPart = members.filter((r) => r >= audit).map((r) => r - audit);
      assert.equal(populationPart.length, trainSize - expectedIn.length, 'the fill tops up to trainSize');
      for (let p = 0; p < population; p++) {
        assert.equal(sets.populationKeep[p * shadows + s], populationPart.includes(p) ? 1 : 0, `populationKeep[${p}, ${s}]`);
      }
    }
  });

  test('a shadow with more IN records than trainSize keeps all of them', () => {
    const sets = buildTrainingSets(keep, audit, population, shadows, 1, 11);
    sets.members.forEach((m, s) => assert.equal(m.length, counts[s], `shadow ${s} keeps its ${counts[s]} IN records`));
    assert.ok(sets.populationKeep.every((v) => v === 0), 'no population record is needed');
  });

  test('fills differ between shadows and are reproducible', () => {
    const trainSize = Math.max(...counts) + 10;
    const a = buildTrainingSets(keep, audit, population, shadows, trainSize, 11);
    const b = buildTrainingSets(keep, audit, population, shadows, trainSize, 11);
    assert.deepEqual(a.members, b.members);
    const fills = a.members.map((m) => Array.from(m).filter((r) => r >= audit).join(','));
    assert.ok(new Set(fills).size > 1, 'population fills are not all the same');
  });

  test('throws when the population cannot fill a shadow', () => {
    assert.throws(() => buildTrainingSets(keep, audit, 0, shadows, audit, 11), /needs \d+ population records/);
  });
});

describe('BatchPlan', () => {
  test('visits every record once per epoch in batches of batchSize, the last one smaller', () => {
    const members = Int32Array.from({ length: 23 }, (_, i) => 100 + i * 3);
    const plan = new BatchPlan(members, 5, 3, 1, 0);
    assert.equal(plan.stepsPerEpoch, 5);
    assert.equal(plan.totalSteps, 15);
    assert.equal(plan.totalSamples, 69);
    const orders: string[] = [];
    for (let e = 0; e < 3; e++) {
      const seen: number[] = [];
      for (let b = 0; b < 5; b++) {
        const batch = plan.batch(e * 5 + b) as Int32Array;
        assert.equal(batch.length, b < 4 ? 5 : 3, `epoch ${e} batch ${b} size`);
        seen.push(...batch);
      }
      assert.deepEqual([...seen].sort((x, y) => x - y), Array.from(members), `epoch ${e} covers every record once`);
      orders.push(seen.join(','));
    }
    assert.equal(new Set(orders).size, 3, 'each epoch has its own order');
    assert.equal(plan.batch(15), undefined, 'no batch after the last step');
  });

  test('the order depends on the seed and the shadow, and is reproducible', () => {
    const members = Int32Array.from({ length: 50 }, (_, i) => i);
    const first = (seed: number, shadow: number) => Array.from(new BatchPlan(members, 50, 1, seed, shadow).batch(0) as Int32Array);
    assert.deepEqual(first(1, 0), first(1, 0));
    assert.notDeepEqual(first(1, 0), first(2, 0));
    assert.notDeepEqual(first(1, 0), first(1, 1));
  });
});
