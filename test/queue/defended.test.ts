/**
 * Defended shadows (the adaptive attacker's shadows, retrained with a training-time
 * defense) on the queue, against a real redis-server and real `privacy-lint worker`
 * processes: the queued run's outputs equal the local run's bit for bit and it commits
 * the same defended-model cache entries (same keys, same file digests); a worker killed
 * mid-job has its job retried on another worker; a cancel stops the running job.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError } from '../../src/engine/cancellation';
import { trainDefendedShadows, type DefendedShadowRequest } from '../../src/engine/defenses/defended-shadows';
import { trainDefendedModel } from '../../src/engine/defenses/training';
import { parseQueueUrl } from '../../src/engine/queue';
import { queuedDefendExecutor } from '../../src/engine/queue/defended-executor';
import type { ShadowOutputs } from '../../src/engine/shadow';
import { dataset, spawnWorker, stopWorkers, writeMlp, type WorkerProcess } from './fixture';
import { startTestRedis, type TestRedis } from '../../scripts/redis-test-server';

let dir: string;
let redis: TestRedis;
const spawned: WorkerProcess[] = [];

function worker(): WorkerProcess {
  const w = spawnWorker(redis.url);
  spawned.push(w);
  return w;
}

/** `epochs` sets how long each job trains (the fault tests need seconds); `queued` trains on the queue. */
function request(cacheDir: string, epochs: number, queued: boolean, hidden = 16): DefendedShadowRequest {
  const auditRecords = dataset(dir, 'audit.csv', 60, 1);
  return {
    architectureFile: writeMlp(dir, hidden),
    targetModelFile: path.join(dir, 'target.json'),
    auditRecords,
    population: dataset(dir, 'population.csv', 40, 2),
    numClasses: 3,
    settings: { count: 3, epochs: 2, batchSize: 8, learningRate: 0.01, optimizer: 'adam', seed: 11, trainSize: 40, queries: ['identity'], workers: 1 },
    defense: { name: 'l2', params: { weight: 0.001 }, train: { epochs, batchSize: 8, learningRate: 0.01, optimizer: 'adam', seed: 5 } },
    train: trainDefendedModel,
    cacheDir,
    workers: 1,
    ...(queued ? { executorFor: queuedDefendExecutor(parseQueueUrl(redis.url), auditRecords.source) } : {}),
  };
}

function sameOutputs(a: ShadowOutputs, b: ShadowOutputs): void {
  assert.deepEqual(a.keep, b.keep, 'keep matrices differ');
  a.auditProbabilities.forEach((p, s) => assert.deepEqual(b.auditProbabilities[s], p, `shadow ${s}: audit probabilities differ from the local run`));
  a.populationProbabilities?.forEach((p, s) => assert.deepEqual(b.populationProbabilities?.[s], p, `shadow ${s}: population probabilities differ from the local run`));
}

/** Committed defended-model entries: folder name -> meta.json's per-file SHA-256s. */
function entries(cacheDir: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const name of fs.readdirSync(cacheDir).filter((n) => /^defended-[0-9a-f]{64}$/.test(n)).sort()) {
    out[name] = (JSON.parse(fs.readFileSync(path.join(cacheDir, name, 'meta.json'), 'utf8')) as { files: Record<string, string> }).files;
  }
  return out;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-defended-'));
  redis = await startTestRedis();
});

after(async () => {
  await stopWorkers(spawned);
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('queued defended shadows equal the local ones bit for bit and fill the same cache entries', async (t) => {
  const workers = [worker(), worker()];
  t.after(() => stopWorkers(workers));
  await Promise.all(workers.map((w) => w.waitFor('ready on')));
  const local = await trainDefendedShadows(request(path.join(dir, 'local'), 4, false));
  assert.equal(local.trained, 3);
  const queued = await trainDefendedShadows(request(path.join(dir, 'queued'), 4, true));
  assert.equal(queued.trained, 3, 'the queued run trains every shadow');
  sameOutputs(local, queued);
  const localEntries = entries(path.join(dir, 'local'));
  assert.equal(Object.keys(localEntries).length, 3, 'one cache entry per shadow');
  assert.deepEqual(entries(path.join(dir, 'queued')), localEntries, 'same cache keys and the same bytes in every model file');
  for (let s = 0; s < 3; s++) assert.ok(workers.some((w) => new RegExp(`-d${s}-m0 done`).test(w.log())), `shadow ${s}'s job was done by a worker`);

  const again = await trainDefendedShadows(request(path.join(dir, 'queued'), 4, true));
  assert.equal(again.fromCache, 3, 'a re-run finds every queued model in the cache and enqueues nothing');
  sameOutputs(local, again);
});

test('kill -9 a worker mid-job: the defended job is retried on another worker, result unchanged', async (t) => {
  const epochs = 300;
  const reference = await trainDefendedShadows({ ...request(path.join(dir, 'kill-reference'), epochs, false, 256), settings: { ...request(dir, epochs, false).settings, count: 2 } });
  const workers = [worker(), worker()];
  t.after(() => stopWorkers(workers));
  await Promise.all(workers.map((w) => w.waitFor('ready on')));
  const cacheDir = path.join(dir, 'kill');
  const run = trainDefendedShadows({ ...request(cacheDir, epochs, true, 256), settings: { ...request(dir, epochs, false).settings, count: 2 } });
  const victim = await Promise.race(workers.map((w) => w.waitFor(/job \S+ started \(defended shadow/).then(() => w)));
  const killedJob = /job (\S+) started/.exec(victim.log())![1]!;
  victim.child.kill('SIGKILL');
  await victim.exited;
  assert.doesNotMatch(victim.log(), new RegExp(`job ${killedJob} done`), 'the victim died before finishing its job');
  const out = await run;
  assert.equal(out.trained, 2);
  sameOutputs(reference, out);
  assert.deepEqual(entries(cacheDir), entries(path.join(dir, 'kill-reference')), 'the same cache entries as the fault-free local run');
  const survivor = workers.find((w) => w !== victim)!;
  assert.match(survivor.log(), new RegExp(`job ${killedJob} done`), 'the survivor finished the killed job');
});

test('cancel: the running defended job stops, the audit ends as cancelled, nothing half-written is cached', async (t) => {
  const only = worker();
  t.after(() => stopWorkers([only]));
  await only.waitFor('ready on');
  const controller = new AbortController();
  const cacheDir = path.join(dir, 'cancel');
  const run = trainDefendedShadows(request(cacheDir, 2000, true, 256), { signal: controller.signal });
  await only.waitFor(/job \S+ started \(defended shadow/);
  const cancelledAt = Date.now();
  controller.abort();
  await assert.rejects(run, (e: unknown) => e instanceof CancelledError || (e as Error).name === 'CancelledError', 'the run ends as cancelled');
  await only.waitFor(/job \S+-d\d-m0 failed: the audit was cancelled/, 10_000);
  assert.ok(Date.now() - cancelledAt < 10_000, 'the running job stopped within seconds of the cancel');
  assert.deepEqual(entries(cacheDir), {}, 'no defended model was committed');
});
