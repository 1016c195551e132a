/**
 * Cancelling a queued audit (queued jobs removed, the running one stops within a step
 * or so, finished shadows stay cached) and a worker that is handed different records
 * than the job names (it refuses, the job is not retried, the audit fails saying why).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { CancelledError } from '../../src/engine/audit/progress';
import { parseQueueUrl } from '../../src/engine/queue';
import { blobChunkKey, blobManifestKey, SHADOW_QUEUE } from '../../src/engine/queue/queue-keys';
import { connectionOf } from '../../src/engine/queue/queue-url';
import { encodeBlob, type KeyValueClient } from '../../src/engine/queue/record-blob';
import { trainShadowModels } from '../../src/engine/shadow';
import { recordsDigest } from '../../src/engine/shadow/cache-key';
import { buildRecordStore } from '../../src/engine/shadow/record-store';
import { shadowRequest, spawnWorker, stopWorkers, type WorkerProcess } from './fixture';
import { startTestRedis, type TestRedis } from '../../scripts/redis-test-server';

// Long enough (seconds per job, even on an idle machine) that the cancel lands mid-job.
const SLOW = { count: 3, epochs: 4000, workers: 1 };
const HIDDEN = 256;

let dir: string;
let redis: TestRedis;
let queue: Queue;
let worker: WorkerProcess;

const binFiles = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.bin')).sort() : []);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-cancel-'));
  redis = await startTestRedis();
  queue = new Queue(SHADOW_QUEUE, { connection: connectionOf(parseQueueUrl(redis.url)) });
  worker = spawnWorker(redis.url);
  await worker.waitFor('ready on');
});

after(async () => {
  await queue.close();
  await stopWorkers([worker]);
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('cancel: queued jobs are removed, the running one stops, finished shadows stay cached', async () => {
  const cacheDir = path.join(dir, 'cancel-cache');
  const controller = new AbortController();
  const run = trainShadowModels(shadowRequest(dir, cacheDir, SLOW, { queue: parseQueueUrl(redis.url) }, HIDDEN), { signal: controller.signal });
  // One worker, one job at a time: let the first shadow finish, cancel during the second.
  await worker.waitFor(/job \S+ done/, 60_000);
  await worker.waitFor(/job \S+-s1 started/, 30_000);
  const cancelledAt = Date.now();
  controller.abort();
  await assert.rejects(run, CancelledError, 'the audit ends as cancelled');
  await worker.waitFor(/job \S+-s1 failed: the audit was cancelled/, 5000);
  const stoppedAfter = Date.now() - cancelledAt;
  assert.ok(stoppedAfter < 5000, `the running job stopped ${stoppedAfter} ms after the cancel (a job takes seconds)`);
  assert.doesNotMatch(worker.log(), /job \S+-s1 done/, 'the running job did not finish training');
  assert.doesNotMatch(worker.log(), /job \S+-s2 started/, 'the queued job never started');

  const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized');
  assert.deepEqual(counts, { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, prioritized: 0 }, 'no job of the cancelled audit is left in the queue');
  assert.equal(binFiles(cacheDir).length, 1, 'the shadow finished before the cancel is cached');

  const resumed = await trainShadowModels(shadowRequest(dir, cacheDir, SLOW, {}, HIDDEN));
  assert.equal(resumed.fromCache, 1, 'a re-run reads the finished shadow from the cache');
  assert.equal(resumed.trained, 2, 'and trains only the two that were cancelled');
});

test('a worker given other records than the job names refuses it with a clear error, without retries', async () => {
  // A fresh worker: the first one keeps the (right) records of the test above in memory.
  await stopWorkers([worker]);
  worker = spawnWorker(redis.url);
  await worker.waitFor('ready on');
  const req = shadowRequest(dir, path.join(dir, 'refuse-cache'), { count: 2, epochs: 2 }, { queue: parseQueueUrl(redis.url) });
  const store = buildRecordStore(req.auditRecords, req.population!);
  const digest = recordsDigest(store, req.numClasses);
  // Plant, under the audit's digest, records that differ in one label: what a worker
  // with stale or different data would see. The audit finds "its" blob and ships nothing.
  const other = { ...store, labels: Int32Array.from(store.labels) };
  other.labels[0] = (other.labels[0] + 1) % req.numClasses;
  const blob = encodeBlob(other, req.numClasses);
  const client = (await queue.getBackend().client) as unknown as KeyValueClient;
  await client.set(blobChunkKey(digest, 0), blob.toString('base64'));
  await client.set(blobManifestKey(digest), JSON.stringify({ digest, bytes: blob.length, chunks: 1 }));

  await assert.rejects(trainShadowModels(req), (e: Error) => {
    assert.match(e.message, /failed on a worker after 1 attempt\(s\)/, 'not retried: the refusal is final');
    assert.match(e.message, /the data differs, so the worker refuses to train on it/, 'the error says the data differs');
    assert.match(e.message, new RegExp(`enqueued for records ${digest.slice(0, 12)}`), 'the error names the expected digest');
    return true;
  });
  assert.match(worker.log(), /refused shadows/, 'the worker logs the refusal');
  assert.equal(binFiles(path.join(dir, 'refuse-cache')).length, 0, 'nothing was cached');

  await client.del(blobManifestKey(digest));
  const retried = await trainShadowModels(req);
  assert.equal(retried.trained, 2, 'with the blob gone the audit ships the right records and the same worker trains them');
});
