/**
 * Defended shadows (the adaptive attacker's shadows, retrained with a training-time
 * defense) on the queue, against a real redis-server and real `privacy-lint worker`
 * processes: the queued run's outputs equal the local run's bit for bit and it commits
 * the same defended-model cache entries (same keys, same file digests); the plain
 * shadows' faults end with the same result: a worker killed mid-job (retried on another
 * worker), redis-server restarted empty (re-shipped, re-enqueued), SIGTERM with a short
 * grace (the job handed back); a cancel stops the running job and commits nothing; a
 * worker given other records refuses the job at once; a tampered job is refused naming
 * the field; and a whole audit with --queue evaluates a defense as a local one does.
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
import { decodeDefendedJob, encodeDefendedJob } from '../../src/engine/queue/defended-payload';
import type { DefendJob } from '../../src/engine/defenses/training/job';
import type { ShadowOutputs } from '../../src/engine/shadow';
import { auditTarget } from '../../src/engine/audit';
import { Queue } from 'bullmq';
import { connectionOf } from '../../src/engine/queue/queue-url';
import { blobChunkKey, blobManifestKey, SHADOW_QUEUE } from '../../src/engine/queue/queue-keys';
import { encodeBlob, type KeyValueClient } from '../../src/engine/queue/record-blob';
import { buildRecordStore } from '../../src/engine/shadow/record-store';
import { recordsDigest } from '../../src/engine/shadow/cache-key';
import { overfitWorkspace } from '../helpers/overfit-workspace';
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

test('an audit with --queue evaluates a training-time defense with defended shadows trained on the workers, as a local audit does', { timeout: 300_000 }, async (t) => {
  const workers = [worker(), worker()];
  t.after(() => stopWorkers(workers));
  await Promise.all(workers.map((w) => w.waitFor('ready on')));
  const ws = await overfitWorkspace();
  const base = JSON.parse(fs.readFileSync(ws.manifest, 'utf8')).audits[0];
  const file = path.join(ws.dir, 'queued-defenses.json');
  fs.writeFileSync(file, JSON.stringify({
    version: 1,
    audits: [{ ...base, attacks: ['loss-threshold'], shadow: { count: 4, epochs: 10, batchSize: 16, learningRate: 0.02, seed: 3 }, defenses: { attacks: ['lira-offline'], evaluate: [{ name: 'l2', weight: 0.00001 }] } }],
  }));
  const evaluation = async (queueUrl?: string) => {
    const report = await auditTarget(file, { workers: 1, cacheDir: path.join(dir, queueUrl ? 'audit-queued' : 'audit-local'), ...(queueUrl ? { queueUrl } : {}) });
    assert.equal(report.audits.length, 1, report.findings.map((f) => f.message).join('\n'));
    const l2 = report.audits[0]!.defenses!.evaluations[0]!;
    assert.deepEqual(l2.errors, [], 'the l2 evaluation ran its attacks');
    return l2.attacks.find((a) => a.attack === 'lira-offline')!;
  };
  const local = await evaluation();
  const queued = await evaluation(redis.url);
  assert.deepEqual(queued, local, 'the adaptive LiRA against l2 is the same, from defended shadows trained on the queue');
  const logs = workers.map((w) => w.log()).join('');
  for (let s = 0; s < 4; s++) assert.match(logs, new RegExp(`-d${s}-m0 done`), `defended shadow ${s} was trained by a worker`);
});

/** The slow request of the fault tests (2 or 3 shadows of a 12-256-3 MLP, 300 epochs: about a second each). */
function slow(cacheDir: string, queued: boolean, count: number): DefendedShadowRequest {
  const req = request(cacheDir, 300, queued, 256);
  return { ...req, settings: { ...req.settings, count } };
}

test('redis-server killed and restarted empty mid-run: the defended run resumes and ends equal to the local run', async (t) => {
  const local = await trainDefendedShadows(slow(path.join(dir, 'restart-reference'), false, 3));
  const only = worker();
  t.after(() => stopWorkers([only]));
  await only.waitFor('ready on');
  const cacheDir = path.join(dir, 'restart');
  let restarting: Promise<void> | undefined;
  let cachedAtRestart = -1;
  const out = await trainDefendedShadows(slow(cacheDir, true, 3), {
    onProgress: (p) => {
      if (p.done >= 1 && restarting === undefined) {
        cachedAtRestart = Object.keys(entries(cacheDir)).length;
        restarting = redis.kill().then(() => new Promise((r) => setTimeout(r, 500))).then(() => redis.start());
      }
    },
  });
  await restarting;
  assert.ok(cachedAtRestart >= 1 && cachedAtRestart < 3, `Redis restarted after some but not all shadows (${cachedAtRestart} cached)`);
  sameOutputs(local, out);
  assert.deepEqual(entries(cacheDir), entries(path.join(dir, 'restart-reference')), 'every model committed, the same bytes as locally');
});

test('SIGTERM with a short grace: the running defended job is handed back and finished by another worker', async (t) => {
  const longer = (cacheDir: string, queued: boolean) => request(cacheDir, 1500, queued, 256);
  const local = await trainDefendedShadows({ ...longer(path.join(dir, 'release-reference'), false), settings: { ...longer(dir, false).settings, count: 2 } });
  const leaving = spawnWorker(redis.url, ['--grace', '1']);
  spawned.push(leaving);
  t.after(() => stopWorkers(spawned));
  await leaving.waitFor('ready on');
  const cacheDir = path.join(dir, 'release');
  const run = trainDefendedShadows({ ...longer(cacheDir, true), settings: { ...longer(dir, false).settings, count: 2 } });
  await leaving.waitFor(/job \S+ started \(defended shadow/);
  const job = /job (\S+) started/.exec(leaving.log())![1]!;
  leaving.child.kill('SIGTERM');
  assert.equal(await leaving.exited, 0, 'the worker exits cleanly after the grace period');
  assert.doesNotMatch(leaving.log(), new RegExp(`job ${job} done`), 'it did not finish the job (the grace was shorter than the job)');
  const staying = worker();
  const out = await run;
  sameOutputs(local, out);
  assert.match(staying.log(), new RegExp(`job ${job} done`), 'the released job was trained by the other worker');
  assert.deepEqual(entries(cacheDir), entries(path.join(dir, 'release-reference')), 'the same committed model');
});

test('a defended job is checked field by field: bad rows and kl-pruning are refused with the field named', () => {
  const members = Int32Array.from([3, 7, 9]);
  const job = {
    architecture: { file: 'm.json', topology: { class_name: 'Sequential', config: {} } },
    targetModelFile: '', members: { source: 'a.csv', count: 3, featureShape: [2], features: new Float32Array(6), labels: new Int32Array(3) },
    share: Int32Array.from([0, 2]), numClasses: 3,
    defense: { name: 'l2', params: { weight: 0.1 }, train: { epochs: 1, batchSize: 2, learningRate: 0.01, optimizer: 'adam', seed: 4 } },
    optimizer: { kind: 'adam', learningRate: 0.01 }, modelIndex: 0, outDir: '', backend: 'auto',
  } as unknown as DefendJob;
  const data = encodeDefendedJob({ runId: 'r', recordsDigest: 'a'.repeat(64), shadow: 2, members }, job);
  const back = decodeDefendedJob(JSON.parse(JSON.stringify(data)));
  assert.deepEqual([...back.memberRows], [3, 7, 9]);
  assert.deepEqual([...back.shareRows], [0, 2]);
  assert.deepEqual(back.defense, job.defense);
  assert.throws(() => decodeDefendedJob({ ...data, share: Buffer.from(Int32Array.from([5]).buffer).toString('base64') }), /share\[0\]: 5 is not a member index \(0\.\.2\)/);
  assert.throws(() => decodeDefendedJob({ ...data, defense: { ...data.defense, train: { ...data.defense.train, seed: -1 } } }), /defense\.train\.seed: expected a whole number/);
  assert.throws(() => decodeDefendedJob({ ...data, format: 99 }), /format 99, this worker reads format 1/);
  assert.throws(() => encodeDefendedJob({ runId: 'r', recordsDigest: 'a'.repeat(64), shadow: 0, members }, { ...job, defense: { ...job.defense, name: 'kl-pruning' } }), /kl-pruning/);
});

test('a worker given other records than the defended job names refuses it, without retries; nothing is committed', async (t) => {
  const only = worker();
  const queue = new Queue(SHADOW_QUEUE, { connection: connectionOf(parseQueueUrl(redis.url)) });
  t.after(async () => {
    await queue.close();
    await stopWorkers([only]);
  });
  await only.waitFor('ready on');
  const cacheDir = path.join(dir, 'refuse');
  const req = request(cacheDir, 2, true);
  const store = buildRecordStore(req.auditRecords, req.population);
  const digest = recordsDigest(store, req.numClasses);
  // Records that differ in one label, planted under the audit's digest: the audit finds "its" blob and ships nothing.
  const other = { ...store, labels: Int32Array.from(store.labels) };
  other.labels[0] = (other.labels[0]! + 1) % req.numClasses;
  const blob = encodeBlob(other, req.numClasses);
  const client = (await queue.getBackend().client) as unknown as KeyValueClient;
  await client.set(blobChunkKey(digest, 0), blob.toString('base64'));
  await client.set(blobManifestKey(digest), JSON.stringify({ digest, bytes: blob.length, chunks: 1 }));
  await assert.rejects(trainDefendedShadows(req), (e: Error) => {
    assert.match(e.message, /defended-shadow job for shadow \d \(l2, model 0\) failed on a worker after 1 attempt\(s\)/, 'not retried: the refusal is final');
    assert.match(e.message, /the data differs, so the worker refuses to train on it/, 'the error says why');
    return true;
  });
  assert.match(only.log(), /refused defended shadow \d \(model 0\)/, 'the worker logs the refusal');
  assert.deepEqual(entries(cacheDir), {}, 'nothing was committed');
  await client.del(blobManifestKey(digest));
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
