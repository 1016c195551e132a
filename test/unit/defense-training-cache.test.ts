import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancelledError } from '../../src/engine/audit/progress';
import { trainDefendedModel } from '../../src/engine/defenses/training';
import { removeStaleEntries } from '../../src/engine/defenses/training/defended-cache';
import { entryOf, probabilities, request, type OverfitData, temporaryDir, withOverfitData } from './defense-training-fixture';

let data: OverfitData;

describe('defended models: worker threads and the content-addressed cache', () => {
  withOverfitData((d) => (data = d));

  test('trains on worker threads, then loads from the cache without training', async () => {
    const req = { ...request(data, 'ensemble', { members: 2 }, { epochs: 10 }), workers: 2 };
    const progress: [number, number][] = [];
    const first = await trainDefendedModel(req, { onProgress: (done, total) => progress.push([done, total]) });
    assert.equal(first.fromCache, false, 'first run trains');
    assert.ok(progress.length > 0, 'progress was reported');
    const [lastDone, total] = progress[progress.length - 1];
    assert.equal(total, 10 * data.members.count, 'total = epochs x members over both models');
    assert.equal(lastDone, total, 'progress ends at the total');
    const expected = await probabilities(first.classifier, data.nonMembers);

    let reported = false;
    const second = await trainDefendedModel(req, { onProgress: () => { reported = true; } });
    assert.equal(second.fromCache, true, 'second run is a cache hit');
    assert.equal(second.samplesPerSecond, 0, 'nothing trained');
    assert.equal(second.samples, 0, 'no samples on a cache hit');
    assert.equal(first.samples, 10 * data.members.count, 'both models trained on their shares for 10 epochs');
    assert.equal(reported, false, 'no training progress on a cache hit');
    assert.deepEqual(second.notes, first.notes, 'notes come back from the cache');
    assert.deepEqual(await probabilities(second.classifier, data.nonMembers), expected, 'the cached model is the trained one');

    // The same request trained in this thread gives the very same model (deterministic seeds).
    const local = await trainDefendedModel({ ...req, workers: 0, cacheDir: temporaryDir('mpl-defended-local-') });
    assert.equal(local.fromCache, false, 'fresh cache');
    assert.deepEqual(await probabilities(local.classifier, data.nonMembers), expected, 'worker and in-thread training agree');
  });

  test('a damaged cache entry is retrained; another defense param misses the cache', async () => {
    const req = request(data, 'l2', { weight: 0.01 }, { epochs: 5 });
    const first = await trainDefendedModel(req);
    const shard = path.join(entryOf(req.cacheDir), 'model-0', 'group1-shard1of1.bin');
    const bytes = fs.readFileSync(shard);
    bytes[0] ^= 0xff;
    fs.writeFileSync(shard, bytes);
    const again = await trainDefendedModel(req);
    assert.equal(again.fromCache, false, 'a shard that does not match its digest is retrained');
    assert.deepEqual(await probabilities(again.classifier, data.nonMembers), await probabilities(first.classifier, data.nonMembers), 'retrained to the same model');
    const hit = await trainDefendedModel(req);
    assert.equal(hit.fromCache, true, 'the repaired entry is a hit');
    const other = await trainDefendedModel({ ...req, defense: { ...req.defense, params: { weight: 0.02 } } });
    assert.equal(other.fromCache, false, 'another weight is another model');
    assert.equal(fs.readdirSync(req.cacheDir).filter((n) => n.startsWith('defended-')).length, 2, 'two entries, no temporaries left');
  });

  test('stale temporary folders of killed runs are removed, fresh ones and entries kept', async () => {
    const req = request(data, 'none', {}, { epochs: 2 });
    await trainDefendedModel(req);
    const entry = path.basename(entryOf(req.cacheDir));
    const stale = path.join(req.cacheDir, `defended-${'a'.repeat(64)}.123.0badf00d.tmp`);
    const fresh = path.join(req.cacheDir, `defended-${'b'.repeat(64)}.456.cafe.tmp`);
    for (const dir of [stale, fresh]) fs.mkdirSync(path.join(dir, 'model-0'), { recursive: true });
    const old = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    fs.utimesSync(stale, old, old);
    removeStaleEntries(req.cacheDir);
    assert.deepEqual(fs.readdirSync(req.cacheDir).sort(), [entry, path.basename(fresh)].sort(), 'only the stale temporary is gone');
  });

  test('an aborted signal cancels, on workers too', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(trainDefendedModel(request(data, 'none'), { signal: controller.signal }), CancelledError, 'already aborted');
    const running = new AbortController();
    const req = { ...request(data, 'none', {}, { epochs: 2000 }), workers: 1 };
    const pending = trainDefendedModel(req, { signal: running.signal, onProgress: (done) => { if (done > 0) running.abort(); } });
    await assert.rejects(pending, CancelledError, 'aborted while training on a worker');
    assert.deepEqual(fs.readdirSync(req.cacheDir), [], 'nothing cached, no temporary left');
  });
});
