/**
 * `privacy-lint worker`: takes shadow jobs from the queue and trains them. Per job it
 * fetches (once per digest) and verifies the records the job names, trains the job's
 * shadows on a training thread (trainGroup, the code a local run uses), and returns
 * their probabilities as the job's return value. A 'defended-shadow' job (one model of a
 * shadow retrained with a training-time defense) trains with runDefendJob on the same
 * threads and returns the model's files. Failure semantics, for both kinds:
 * - records missing or different, a job from another version: the job fails at once
 *   (UnrecoverableError, no retry) with a message saying why; nothing is trained.
 * - the audit was cancelled: checked before the job and every POLL_CANCEL_MS during it;
 *   the thread stops before its next step and the job fails as cancelled.
 * - the worker dies (kill -9, lost machine): its job's lock expires after lockDuration,
 *   BullMQ's stalled-job check moves it back to the queue, another worker retries it.
 * - SIGTERM (close()): no new jobs; running ones may finish for graceMs, then they are
 *   stopped and released back to the queue (moveToWait) for another worker.
 */
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { StoppedError } from '../shadow/step-hooks';
import type { ShadowResult } from '../shadow/train-group';
import type { RecordStore } from '../shadow/record-store';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Dataset } from '../artifacts/dataset';
import { gatherFeatures } from '../shadow/record-store';
import { architectureOf, decodeDefendedJob, DEFENDED_JOB_NAME, encodeDefendedResult, type DefendedJobResultData } from './defended-payload';
import { decodeJob, encodeResult } from './job-payload';
import { cancelKey, SHADOW_QUEUE } from './queue-keys';
import { connectionOf, type QueueTarget } from './queue-url';
import { fetchRecords, RecordsMismatchError, type KeyValueClient } from './record-blob';
import { TrainingThreads } from './training-threads';
import { DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS } from './worker-timing';

/** How often a running job checks its audit's cancel flag. */
const POLL_CANCEL_MS = 250;
/** How often a running job reports its sample count (QueueEvents 'progress'). */
const PROGRESS_INTERVAL_MS = 500;
/** Record sets a worker keeps in memory (audits in flight at once, typically one). */
const KEPT_RECORD_SETS = 2;

export interface QueueWorkerOptions {
  target: QueueTarget;
  /** Jobs trained at once, each on its own thread (one per core is the useful maximum). */
  concurrency: number;
  /** How long a job's lock lasts without renewal: a dead worker's job is retried after about this. */
  lockDurationMs?: number;
  /** How often workers look for stalled jobs (jobs whose lock expired). */
  stalledIntervalMs?: number;
  log?: (line: string) => void;
}

export interface RunningQueueWorker {
  /** Stops taking jobs; running ones may finish for graceMs, then are released to the queue. */
  close(graceMs?: number): Promise<void>;
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<RunningQueueWorker> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const threads = new TrainingThreads();
  const records = new Map<string, Promise<{ store: RecordStore; numClasses: number }>>();
  const activeStops = new Set<Int32Array>();
  let releasing = false;
  let worker: Worker | undefined;

  const client = async (): Promise<KeyValueClient> => (worker as Worker).getBackend().client as Promise<KeyValueClient>;

  const recordsFor = (digest: string): Promise<{ store: RecordStore; numClasses: number }> => {
    let entry = records.get(digest);
    if (entry === undefined) {
      entry = client().then((c) => fetchRecords(c, digest));
      records.set(digest, entry);
      entry.catch(() => records.delete(digest));
      while (records.size > KEPT_RECORD_SETS) records.delete(records.keys().next().value as string);
    }
    return entry;
  };

  /** Decodes a job of either kind: what it trains on and how it trains. */
  const decode = (job: Job): { runId: string; recordsDigest: string; numClasses: number; what: string; train: (store: RecordStore, stop: Int32Array, onSamples: (count: number) => void) => Promise<unknown> } => {
    if (job.name === DEFENDED_JOB_NAME) {
      const data = decodeDefendedJob(job.data);
      return { ...data, what: `defended shadow ${data.shadow} (model ${data.modelIndex})`, train: (store, stop, onSamples) => trainDefended(threads, data, store, stop, onSamples) };
    }
    const { data, setup, job: group } = decodeJob(job.data);
    return {
      ...data, what: `shadows ${data.shadows.join(',')}`,
      train: async (store, stop, onSamples) => {
        const results: ShadowResult[] = [];
        const backend = await threads.run({ setup: { ...setup, store }, job: group, stop, onSamples, onShadow: (r) => results.push(r) });
        return encodeResult(backend, results);
      },
    };
  };

  const process_ = async (job: Job, token?: string): Promise<unknown> => {
    let decoded: ReturnType<typeof decode>;
    try {
      decoded = decode(job);
    } catch (e) {
      throw new UnrecoverableError(`refused job ${job.id}: ${(e as Error).message}`);
    }
    const data = decoded;
    const redis = await client();
    if ((await redis.get(cancelKey(data.runId))) !== null) throw new UnrecoverableError('the audit was cancelled');
    let store: RecordStore;
    try {
      const fetched = await recordsFor(data.recordsDigest);
      if (fetched.numClasses !== data.numClasses) {
        throw new RecordsMismatchError(`the records have ${fetched.numClasses} classes, the job says ${data.numClasses}`);
      }
      store = fetched.store;
    } catch (e) {
      if (e instanceof RecordsMismatchError) throw new UnrecoverableError(`refused ${data.what}: ${e.message}`);
      throw e;
    }

    const stop = new Int32Array(new SharedArrayBuffer(4));
    activeStops.add(stop);
    if (releasing) Atomics.store(stop, 0, 1);
    let cancelled = false;
    const poll = setInterval(() => {
      redis.get(cancelKey(data.runId)).then((v) => {
        if (v !== null) {
          cancelled = true;
          Atomics.store(stop, 0, 1);
        }
      }, () => undefined); // Redis unreachable: keep training; BullMQ reports the connection.
    }, POLL_CANCEL_MS);
    let samples = 0;
    let lastProgress = 0;
    try {
      return await decoded.train(store, stop, (count) => {
        samples += count;
        if (Date.now() - lastProgress >= PROGRESS_INTERVAL_MS) {
          lastProgress = Date.now();
          job.updateProgress({ samples }).catch(() => undefined);
        }
      });
    } catch (e) {
      if (!(e instanceof StoppedError)) throw e;
      if (cancelled) throw new UnrecoverableError('the audit was cancelled');
      // Shutting down: hand the job back so another worker trains it.
      await job.moveToWait(token);
      throw new WaitingError();
    } finally {
      clearInterval(poll);
      activeStops.delete(stop);
    }
  };

  worker = new Worker(SHADOW_QUEUE, process_, {
    connection: connectionOf(options.target),
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
    stalledInterval: options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
    // A job whose worker died twice is more likely killing workers than unlucky.
    maxStalledCount: 2,
    autorun: false,
  });
  const w = worker;
  w.on('error', (e) => log(`privacy-lint worker: ${e.message}`));
  w.on('active', (job) => {
    const data = job.data as { shadows?: number[]; shadow?: number; modelIndex?: number };
    const what = job.name === DEFENDED_JOB_NAME ? `defended shadow ${data.shadow ?? '?'}, model ${data.modelIndex ?? '?'}` : `shadows ${data.shadows?.join(',') ?? '?'}`;
    log(`privacy-lint worker: job ${job.id} started (${what})`);
  });
  w.on('completed', (job) => log(`privacy-lint worker: job ${job.id} done`));
  w.on('failed', (job, e) => log(`privacy-lint worker: job ${job?.id ?? '?'} failed: ${e.message}`));
  await w.waitUntilReady();
  void w.run().catch((e: unknown) => log(`privacy-lint worker: stopped: ${(e as Error).message}`));

  return {
    close: async (graceMs = 30_000) => {
      const timer = setTimeout(() => {
        releasing = true;
        for (const stop of activeStops) Atomics.store(stop, 0, 1);
      }, graceMs);
      try {
        await w.close();
      } finally {
        clearTimeout(timer);
        await threads.dispose();
      }
    },
  };
}

/**
 * One defended model, trained by the code a local run uses (runDefendJob on a training
 * thread) on the shadow's rows of the shipped records, into a temporary folder whose
 * files are returned and then deleted.
 */
async function trainDefended(threads: TrainingThreads, data: ReturnType<typeof decodeDefendedJob>, store: RecordStore, stop: Int32Array, onSamples: (count: number) => void): Promise<DefendedJobResultData> {
  const outOfRange = (rows: Int32Array) => rows.findIndex((r) => r < 0 || r >= store.auditCount + store.populationCount);
  for (const [field, rows] of [['members', data.memberRows], ['reference', data.referenceRows]] as const) {
    if (rows && outOfRange(rows) >= 0) throw new UnrecoverableError(`refused defended shadow ${data.shadow}: ${field}[${outOfRange(rows)}] is not a record of the shipped records`);
  }
  const dataset = (rows: Int32Array, source: string): Dataset => {
    const features = gatherFeatures(store, rows, new Float32Array(new SharedArrayBuffer(rows.length * store.size * 4)));
    const labels = new Int32Array(new SharedArrayBuffer(rows.length * 4));
    rows.forEach((r, i) => (labels[i] = store.labels[r]!));
    return { source, count: rows.length, featureShape: [...store.featureShape], features, labels };
  };
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-lint-defended-'));
  try {
    const result = await threads.runDefend({
      architecture: architectureOf(data),
      // Only kl-pruning reads the target's file, and it is refused on the queue.
      targetModelFile: '',
      members: dataset(data.memberRows, data.membersSource),
      share: data.shareRows,
      ...(data.referenceRows ? { reference: dataset(data.referenceRows, data.referenceSource ?? 'reference') } : {}),
      numClasses: data.numClasses,
      defense: data.defense,
      optimizer: data.optimizer,
      modelIndex: data.modelIndex,
      outDir,
      backend: data.backend,
    }, stop, onSamples);
    const files: Record<string, Buffer> = {};
    for (const name of fs.readdirSync(outDir)) files[name] = fs.readFileSync(path.join(outDir, name));
    return encodeDefendedResult(result, files);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}
