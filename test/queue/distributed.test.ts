/**
 * A queued audit against a real redis-server and real `privacy-lint worker` processes
 * gives bit-for-bit the shadow outputs of a local run with the same seeds, fills the
 * same content-addressed cache (same file names, readable by a later local run), and
 * spreads the jobs over several workers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseQueueUrl } from '../../src/engine/queue';
import { trainShadowModels, type ShadowOutputs, type ShadowProgress } from '../../src/engine/shadow';
import { shadowRequest, spawnWorker, stopWorkers, type WorkerProcess } from './fixture';
import { startTestRedis, type TestRedis } from '../../scripts/redis-test-server';

let dir: string;
let redis: TestRedis;
let workers: WorkerProcess[] = [];

function sameOutputs(a: ShadowOutputs, b: ShadowOutputs): void {
  assert.deepEqual(a.keep, b.keep, 'keep matrices differ');
  assert.equal(a.auditProbabilities.length, b.auditProbabilities.length, 'shadow counts differ');
  a.auditProbabilities.forEach((p, s) => assert.deepEqual(b.auditProbabilities[s], p, `shadow ${s}: audit probabilities differ from the local run`));
  a.populationProbabilities?.forEach((p, s) => assert.deepEqual(b.populationProbabilities?.[s], p, `shadow ${s}: population probabilities differ from the local run`));
}

const binFiles = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.bin')).sort() : []);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-distributed-'));
  redis = await startTestRedis();
  workers = [spawnWorker(redis.url, ['--lock-duration', '15000']), spawnWorker(redis.url, ['--lock-duration', '15000'])];
  await Promise.all(workers.map((w) => w.waitFor('ready on')));
});

after(async () => {
  await stopWorkers(workers);
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a queued run equals the local run bit for bit and fills the same cache', async () => {
  const local = await trainShadowModels(shadowRequest(dir, path.join(dir, 'local-cache')));
  assert.equal(local.trained, 6, 'the local run trains every shadow');

  const progress: ShadowProgress[] = [];
  const queuedCache = path.join(dir, 'queued-cache');
  const queued = await trainShadowModels(shadowRequest(dir, queuedCache, {}, { queue: parseQueueUrl(redis.url) }), { onProgress: (p) => progress.push(p) });
  assert.equal(queued.trained, 6, 'the queued run trains every shadow');
  assert.equal(queued.backend, 'wasm-simd', 'workers train the MLP on the stacked kernels, as locally');
  sameOutputs(local, queued);
  assert.deepEqual(binFiles(queuedCache), binFiles(path.join(dir, 'local-cache')), 'the queued run writes the same content-addressed cache files');
  assert.equal(binFiles(queuedCache).length, 6, 'one cache file per shadow');
  assert.equal(progress.at(-1)?.done, 6, 'progress reaches 6 of 6');
  assert.ok(progress.some((p) => p.done > 0 && p.done < 6), 'progress is reported as jobs finish, not only at the end');

  const again = await trainShadowModels(shadowRequest(dir, queuedCache));
  assert.equal(again.fromCache, 6, 'a later local run reads every shadow the queue trained from the cache');
  sameOutputs(local, again);

  // At least once: on a loaded machine a lock can lapse and a job run twice; the audit
  // still counts each shadow once (checked above: 6 trained, one file each).
  const logs = workers.map((w) => (w.log().match(/ done\n/g) ?? []).length);
  assert.ok(logs.reduce((a, b) => a + b, 0) >= 6, `at least six jobs done across workers, got ${logs.join('+')}`);
  for (let s = 0; s < 6; s++) assert.ok(workers.some((w) => new RegExp(`-s${s} done`).test(w.log())), `shadow ${s}'s job was done by a worker`);
  assert.ok(logs.every((n) => n > 0), `both workers took jobs (${logs.join(' and ')})`);
});
