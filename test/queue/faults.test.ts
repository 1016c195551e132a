/**
 * Faults, for real: a worker killed with SIGKILL in the middle of a job, redis-server
 * killed and restarted empty in the middle of an audit, and workers stopped with SIGTERM.
 * In each case the audit must end with exactly the fault-free result (the local run's
 * probabilities, bit for bit), one cache file per shadow, no shadow counted twice.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseQueueUrl } from '../../src/engine/queue';
import { trainShadowModels, type ShadowOutputs, type ShadowProgress, type ShadowRequest } from '../../src/engine/shadow';
import { shadowRequest, spawnWorker, stopWorkers, type WorkerProcess } from './fixture';
import { startTestRedis, type TestRedis } from '../../scripts/redis-test-server';

/** Wide and long enough that one shadow takes a couple of seconds: time to interrupt it. */
const SLOW = { count: 4, epochs: 1500 };
const HIDDEN = 256;

let dir: string;
let redis: TestRedis;
let reference: ShadowOutputs;
const spawned: WorkerProcess[] = [];

function worker(args: string[] = []): WorkerProcess {
  const w = spawnWorker(redis.url, args);
  spawned.push(w);
  return w;
}

function request(cacheDir: string, queued = true): ShadowRequest {
  return shadowRequest(dir, cacheDir, { ...SLOW, workers: 2 }, queued ? { queue: parseQueueUrl(redis.url) } : {}, HIDDEN);
}

function sameAsReference(out: ShadowOutputs): void {
  assert.deepEqual(out.keep, reference.keep, 'keep matrix');
  reference.auditProbabilities.forEach((p, s) => assert.deepEqual(out.auditProbabilities[s], p, `shadow ${s}: audit probabilities differ from the fault-free run`));
  reference.populationProbabilities?.forEach((p, s) => assert.deepEqual(out.populationProbabilities?.[s], p, `shadow ${s}: population probabilities differ from the fault-free run`));
}

const binFiles = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.bin')).sort() : []);
const jobStarted = (w: WorkerProcess) => w.log().match(/job (\S+) started/)?.[1];

/** Records every progress report; `modelsDone` counts the reports where `done` went up. */
function progressLog(): { reports: ShadowProgress[]; onProgress: (p: ShadowProgress) => void; modelsDone: () => number } {
  const reports: ShadowProgress[] = [];
  return {
    reports,
    onProgress: (p) => reports.push(p),
    modelsDone: () => reports.reduce((n, p, i) => n + (i > 0 && p.done > reports[i - 1].done ? p.done - reports[i - 1].done : 0), 0),
  };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-faults-'));
  redis = await startTestRedis();
  reference = await trainShadowModels(request(path.join(dir, 'reference-cache'), false));
});

after(async () => {
  await stopWorkers(spawned);
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('kill -9 a worker mid-job: the job is retried on another worker, nothing lost or counted twice', async (t) => {
  const workers = [worker(), worker()];
  t.after(() => stopWorkers(workers));
  await Promise.all(workers.map((w) => w.waitFor('ready on')));
  const cacheDir = path.join(dir, 'kill-cache');
  const progress = progressLog();
  const run = trainShadowModels(request(cacheDir), { onProgress: progress.onProgress });
  const victim = await Promise.race(workers.map((w) => w.waitFor(/job \S+ started/).then(() => w)));
  const killedJob = jobStarted(victim) as string;
  victim.child.kill('SIGKILL');
  await victim.exited;
  assert.doesNotMatch(victim.log(), new RegExp(`job ${killedJob} done`), 'the victim died before finishing its job');

  const out = await run;
  sameAsReference(out);
  assert.equal(out.trained, 4, 'four shadows trained');
  assert.equal(binFiles(cacheDir).length, 4, 'one cache file per shadow');
  assert.deepEqual(binFiles(cacheDir), binFiles(path.join(dir, 'reference-cache')), 'the same cache keys as the fault-free run');
  assert.equal(progress.modelsDone(), 4, 'each shadow counted done exactly once');
  const survivor = workers.find((w) => w !== victim) as WorkerProcess;
  assert.match(survivor.log(), new RegExp(`job ${killedJob} started`), 'the survivor took over the killed job');
  assert.match(survivor.log(), new RegExp(`job ${killedJob} done`), 'the survivor finished the killed job');
  await stopWorkers(workers);
});

test('redis-server killed and restarted empty mid-audit: the audit resumes, finished shadows stay cached', async (t) => {
  const workers = [worker(), worker()];
  t.after(() => stopWorkers(workers));
  await Promise.all(workers.map((w) => w.waitFor('ready on')));
  const cacheDir = path.join(dir, 'restart-cache');
  let cachedAtRestart: string[] | undefined;
  let restarting: Promise<void> | undefined;
  const progress = progressLog();
  const out = await trainShadowModels(request(cacheDir), {
    onProgress: (p) => {
      progress.onProgress(p);
      if (p.done >= 1 && restarting === undefined) {
        cachedAtRestart = binFiles(cacheDir);
        restarting = redis.kill().then(() => new Promise((r) => setTimeout(r, 500))).then(() => redis.start());
      }
    },
  });
  await restarting;
  assert.ok(cachedAtRestart !== undefined && cachedAtRestart.length >= 1 && cachedAtRestart.length < 4, `Redis restarted after some but not all shadows (${cachedAtRestart?.length} cached)`);
  sameAsReference(out);
  const files = binFiles(cacheDir);
  assert.equal(files.length, 4, 'every shadow ends up cached');
  for (const f of cachedAtRestart as string[]) assert.ok(files.includes(f), `${f}, cached before the restart, is still there`);
  assert.equal(progress.modelsDone(), 4, 'each shadow counted done exactly once');
  await stopWorkers(workers);
});

test('redis-server gone for good: the audit fails with a clear message and keeps what finished', async (t) => {
  const w = worker();
  t.after(async () => {
    await stopWorkers([w]);
    await redis.start().catch(() => undefined);
  });
  await w.waitFor('ready on');
  const cacheDir = path.join(dir, 'gone-cache');
  const req = request(cacheDir);
  let killed: Promise<void> | undefined;
  const started = Date.now();
  // The executor's limit is 60 s by default; the audit-side option is tested through runQueuedJobs' contract.
  const { queueExecutor } = await import('../../src/engine/queue/run-queued-jobs');
  const { runWorkerPool } = await import('../../src/engine/shadow/worker-pool');
  assert.equal(typeof runWorkerPool, 'function', 'the local executor stays available');
  const execute = queueExecutor({ target: parseQueueUrl(redis.url), source: 'test data', unreachableMs: 3000 });
  const { buildRecordStore } = await import('../../src/engine/shadow/record-store');
  const { readArchitecture } = await import('../../src/engine/shadow/architecture');
  const { resolveOptimizer } = await import('../../src/engine/shadow/optimizer');
  const architecture = await readArchitecture(req.architectureFile);
  const delivered: number[] = [];
  const run = execute({
    setup: {
      store: buildRecordStore(req.auditRecords, req.population), architecture, optimizer: resolveOptimizer(architecture.trainingConfig, req.settings),
      numClasses: req.numClasses, epochs: req.settings.epochs, batchSize: req.settings.batchSize, seed: req.settings.seed, queries: ['identity'], backend: 'auto',
    },
    jobs: [0, 1, 2].map((s) => ({ shadows: [s], members: [Int32Array.from({ length: 40 }, (_, i) => i + s)] })),
    workers: 1,
    onSamples: () => undefined,
    onShadow: (r) => {
      delivered.push(r.shadow);
      killed ??= redis.kill();
    },
  });
  await assert.rejects(run, (e: Error) => {
    assert.match(e.message, /lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+ for 3 s/, 'the error names the Redis URL and how long it was gone');
    assert.match(e.message, /finished so far are cached: run the audit again to resume/, 'the error says finished shadows are kept');
    return true;
  });
  assert.deepEqual(delivered, [0], 'the shadow finished before Redis died was delivered (and so cached), once');
  assert.ok(Date.now() - started < 40_000, 'the audit gave up within its limit, not hanging');
  await killed;
});

test('SIGTERM: a worker finishes its running job, takes no new one and exits 0', async (t) => {
  const leaving = worker();
  t.after(() => stopWorkers(spawned));
  await leaving.waitFor('ready on');
  const cacheDir = path.join(dir, 'sigterm-cache');
  const run = trainShadowModels(request(cacheDir));
  await leaving.waitFor(/job \S+ started/);
  const job = jobStarted(leaving) as string;
  leaving.child.kill('SIGTERM');
  assert.equal(await leaving.exited, 0, 'the worker exits cleanly');
  assert.match(leaving.log(), new RegExp(`job ${job} done`), 'it finished the job it was on');
  assert.equal((leaving.log().match(/ started \(/g) ?? []).length, 1, 'it took no job after SIGTERM');
  const staying = worker();
  const out = await run;
  sameAsReference(out);
  // Count this run's jobs only (ids are "<runId>-s<shadow>"): a job an earlier test left
  // delayed for a retry may legitimately be picked up here too.
  const runId = job.replace(/-s\d+$/, '');
  const doneHere = [...staying.log().matchAll(/job (\S+) done\n/g)].filter((m) => m[1].startsWith(`${runId}-s`)).length;
  assert.equal(doneHere, 3, `the other worker trained the other three shadows of this run:\n--- leaving\n${leaving.log()}--- staying\n${staying.log()}`);
  await stopWorkers([staying]);
});

test('SIGTERM with a short grace: the running job is handed back to the queue and finished elsewhere', async (t) => {
  // Jobs several times longer than the grace, so the running one must be released.
  const longer = (cacheDir: string, queued: boolean) => shadowRequest(dir, cacheDir, { count: 2, epochs: 8000, workers: 2 }, queued ? { queue: parseQueueUrl(redis.url) } : {}, HIDDEN);
  const local = await trainShadowModels(longer(path.join(dir, 'release-reference'), false));
  const leaving = worker(['--grace', '1']);
  t.after(() => stopWorkers(spawned));
  await leaving.waitFor('ready on');
  const cacheDir = path.join(dir, 'release-cache');
  const run = trainShadowModels(longer(cacheDir, true));
  await leaving.waitFor(/job \S+ started/);
  const job = jobStarted(leaving) as string;
  leaving.child.kill('SIGTERM');
  assert.equal(await leaving.exited, 0, 'the worker exits cleanly after the grace period');
  assert.doesNotMatch(leaving.log(), new RegExp(`job ${job} done`), 'it did not finish the job (the grace was shorter than the job)');
  const staying = worker();
  const out = await run;
  local.auditProbabilities.forEach((p, s) => assert.deepEqual(out.auditProbabilities[s], p, `shadow ${s}: released and retrained, still equal to the local run`));
  assert.match(staying.log(), new RegExp(`job ${job} done`), 'the released job was trained by the other worker');
  assert.equal(out.trained, 2, 'two shadows trained');
  await stopWorkers([staying]);
});
