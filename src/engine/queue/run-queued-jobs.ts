/**
 * The audit side of a distributed shadow run: the same contract as the local worker
 * pool (runWorkerPool), but the jobs go into the BullMQ queue and workers anywhere
 * train them. The records are shipped once (record-blob.ts); each finished job's shadows
 * are delivered through onShadow (which writes them to the content-addressed cache)
 * exactly once per shadow: a shadow already delivered is ignored if a retried job
 * returns it again. The collector below serves every job kind (QueuedWork): plain
 * shadows here, defended shadows in defended-executor.ts.
 *
 * Progress: QueueEvents ('progress', 'completed', 'failed') wake the collector, and a
 * sweep every SWEEP_MS checks every outstanding job anyway, so a missed event (say,
 * during a Redis reconnect) delays a result but never loses it.
 * Redis restarted without its data: the jobs are gone; the collector notices, ships the
 * records again and re-enqueues the lost jobs, so the audit resumes. Redis unreachable
 * for longer than unreachableMs: the audit fails, saying that the finished shadows are
 * cached and a re-run resumes from them.
 * Cancel: the run's cancel flag is set (running jobs stop before their next step),
 * queued jobs are removed, results that arrive within CANCEL_GRACE_MS are still cached.
 */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { queryVariants } from '../attacks/augmentations';
import { CancelledError } from '../cancellation';
import { recordsDigest } from '../shadow/cache-key';
import type { GroupJob, ShadowResult } from '../shadow/train-group';
import type { PoolRun } from '../shadow/worker-pool';
import type { RecordStore } from '../shadow/record-store';
import { decodeResult, encodeJob, type JobSetup } from './job-payload';
import { cancelKey, SHADOW_QUEUE } from './queue-keys';
import { connectionOf, type QueueTarget } from './queue-url';
import { shipRecords, type KeyValueClient } from './record-blob';

const SWEEP_MS = 1000;
const CANCEL_GRACE_MS = 5000;
const CONNECT_TIMEOUT_MS = 10_000;
const CANCEL_FLAG_SECONDS = 3600;
/** Longest a sweep may wait for Redis before it counts as unreachable. */
const COMMAND_TIMEOUT_MS = 5000;

/** Retries of a job that failed (a crash inside training, a lost connection); stalls are counted apart. */
const JOB_ATTEMPTS = 3;

export interface QueueRunOptions {
  target: QueueTarget;
  /** Names the data in a size error (the audit's dataset). */
  source: string;
  /** Fail when Redis stays unreachable this long (default 60 s). */
  unreachableMs?: number;
  /** Called with the run id once the jobs are queued (tests, logs). */
  onQueued?: (runId: string, jobIds: string[]) => void;
}

/** A ShadowExecutor for trainShadowModels that runs the jobs through the queue. */
export function queueExecutor(options: QueueRunOptions): (run: PoolRun) => Promise<{ backend: string }> {
  return (run) => runQueuedJobs(run, options);
}

export async function runQueuedJobs(run: PoolRun, options: QueueRunOptions): Promise<{ backend: string }> {
  const { store, numClasses } = run.setup;
  const work = new ShadowWork(run);
  await runQueue(work, { store, numClasses, digest: run.recordsDigest ?? recordsDigest(store, numClasses), signal: run.signal, onSamples: run.onSamples }, options);
  return { backend: work.backend };
}

/**
 * One kind of queued job (plain shadows here; defended shadows in defended-executor.ts):
 * how its jobs are named, encoded and delivered. The collector does the rest (progress,
 * retries, lost jobs, cancel) the same way for every kind.
 */
export interface QueuedWork<J> {
  /** BullMQ job name; the worker dispatches on it. */
  readonly name: string;
  /** Job id suffix -> job; ids are `${runId}-${suffix}`. */
  readonly jobs: Map<string, J>;
  encode(runId: string, digest: string, job: J): object;
  /** Takes a finished job's return value; throws when it is not what the job asked for. Called once per job. */
  deliver(job: J, returnvalue: unknown): void;
  /** Names the job in errors ("shadows 1, 2"). */
  describe(job: J): string;
  /** How many results were delivered, for the unreachable message. */
  delivered(): number;
}

export interface QueuedRecords {
  store: RecordStore;
  numClasses: number;
  digest: string;
  signal?: AbortSignal;
  onSamples: (count: number) => void;
}

/** Ships the records, enqueues the work's jobs and collects them; see the file comment. */
export async function runQueue<J>(work: QueuedWork<J>, records: QueuedRecords, options: QueueRunOptions): Promise<void> {
  const run = records;
  if (run.signal?.aborted) throw new CancelledError();
  const { target } = options;
  let closing = false;
  const connection = connectionOf(target, () => closing);
  const queue = new Queue(SHADOW_QUEUE, { connection });
  const events = new QueueEvents(SHADOW_QUEUE, { connection });
  let unreachable = false;
  // Connection errors surface as rejected commands below; the events only need a listener.
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  try {
    await withTimeout(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), CONNECT_TIMEOUT_MS,
      `cannot reach Redis at ${target.url} within ${CONNECT_TIMEOUT_MS / 1000} s (is redis-server running there?)`, RedisUnreachableError);
    const client = (await queue.getBackend().client) as unknown as KeyValueClient;
    await shipRecords(client, records.store, records.numClasses, options.source, records.digest);
    await new Collector(work, records, queue, events, client, options).run();
  } catch (e) {
    unreachable = e instanceof RedisUnreachableError;
    throw e;
  } finally {
    // Closing waits for Redis; when it is known to be gone, do not wait long.
    closing = true;
    const wait = unreachable ? 500 : COMMAND_TIMEOUT_MS;
    await Promise.all([closeWithin(events, wait), closeWithin(queue, wait)]);
  }
}

/**
 * close() waits for Redis; with Redis gone, drop the connections instead (the driver's
 * synchronous disconnect also stops its reconnect attempts, which would keep a CLI alive).
 */
async function closeWithin(resource: Queue | QueueEvents, waitMs: number): Promise<void> {
  try {
    await withTimeout(resource.close(), waitMs, 'close');
  } catch {
    const backend = resource.getBackend();
    for (const pending of [backend.client, backend.blockingClient]) {
      if (pending === undefined) continue;
      const client = await withTimeout(pending, 1000, 'client').catch(() => undefined);
      try {
        client?.disconnect();
      } catch {
        // Already closed.
      }
    }
  }
}

class Collector<J> {
  private readonly runId = randomUUID();
  /** Job id -> the job, until its result is delivered. */
  private readonly outstanding = new Map<string, J>();
  /** Cumulative samples each job last reported (a retried job starts again from 0). */
  private readonly samplesSeen = new Map<string, number>();
  private wake: (() => void) | undefined;
  private unreachableSince: number | undefined;

  constructor(
    private readonly work: QueuedWork<J>,
    private readonly pool: QueuedRecords,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly client: KeyValueClient,
    private readonly options: QueueRunOptions,
  ) {}

  async run(): Promise<void> {
    const jobIds = [...this.work.jobs].map(([suffix, job]) => {
      const id = `${this.runId}-${suffix}`;
      this.outstanding.set(id, job);
      return id;
    });
    await this.enqueue(jobIds);
    this.options.onQueued?.(this.runId, jobIds);

    const poke = (): void => this.wake?.();
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }): void => {
      if (!this.outstanding.has(jobId) || typeof data !== 'object' || data === null) return;
      const samples = (data as { samples?: unknown }).samples;
      if (typeof samples !== 'number') return;
      const before = this.samplesSeen.get(jobId) ?? 0;
      this.samplesSeen.set(jobId, samples);
      if (samples > before) this.pool.onSamples(samples - before);
    };
    this.events.on('completed', poke);
    this.events.on('failed', poke);
    this.events.on('progress', onProgress);
    const abort = new Promise<'aborted'>((resolve) => {
      if (this.pool.signal?.aborted) resolve('aborted');
      this.pool.signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    try {
      while (this.outstanding.size > 0) {
        const woke = await Promise.race([abort, new Promise<'tick'>((resolve) => {
          this.wake = () => resolve('tick');
          setTimeout(() => resolve('tick'), SWEEP_MS);
        })]);
        if (woke === 'aborted') {
          await this.cancel();
          throw new CancelledError();
        }
        await this.sweep();
      }
    } catch (e) {
      // Unreachable: nothing to clean up there (a restarted Redis is empty anyway).
      if (!(e instanceof CancelledError) && !(e instanceof RedisUnreachableError)) await this.abandon();
      throw e;
    } finally {
      this.events.off('completed', poke);
      this.events.off('failed', poke);
      this.events.off('progress', onProgress);
    }
  }

  private async enqueue(ids: string[]): Promise<void> {
    const opts: JobsOptions = {
      attempts: JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    };
    await this.queue.addBulk(ids.map((jobId) => ({
      name: this.work.name,
      data: this.work.encode(this.runId, this.pool.digest, this.outstanding.get(jobId) as J),
      opts: { ...opts, jobId },
    })));
  }

  /** Looks at every outstanding job once: delivers finished ones, fails on a failed one, re-enqueues lost ones. */
  private async sweep(): Promise<void> {
    const started = Date.now();
    try {
      // Commands wait through a reconnect (maxRetriesPerRequest null); bound the wait here.
      await withTimeout(this.sweepOnce(), COMMAND_TIMEOUT_MS, `Redis did not answer within ${COMMAND_TIMEOUT_MS / 1000} s`);
      this.unreachableSince = undefined;
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      this.unreachableSince ??= started;
      const limit = this.options.unreachableMs ?? 60_000;
      if (Date.now() - this.unreachableSince > limit) {
        throw new RedisUnreachableError(`lost the connection to Redis at ${this.options.target.url} for ${Math.round(limit / 1000)} s (${(e as Error).message}); `
          + `the ${this.work.delivered()} shadow model(s) finished so far are cached: run the audit again to resume from them`);
      }
    }
  }

  private async sweepOnce(): Promise<void> {
    const lost: string[] = [];
    for (const [id, group] of [...this.outstanding]) {
      const job = await this.queue.getJob(id);
      if (job === undefined) {
        lost.push(id);
        continue;
      }
      const state = await job.getState();
      if (state === 'completed' && (job.returnvalue === null || job.returnvalue === undefined)) {
        // Completed without a result: a worker that trained through a Redis restart
        // completed the job's remains. Not a result to trust: train it again.
        await job.remove().catch(() => undefined);
        lost.push(id);
      } else if (state === 'completed') {
        this.deliver(id, job.returnvalue);
        await job.remove().catch(() => undefined);
      } else if (state === 'failed') {
        throw new Error(`${this.work.name} job for ${this.work.describe(group)} failed on a worker after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
      }
    }
    if (lost.length > 0) {
      // Redis lost the jobs (restarted without persistence, flushed): ship the records
      // again (they went too) and put the lost jobs back; finished shadows are cached.
      await shipRecords(this.client, this.pool.store, this.pool.numClasses, this.options.source, this.pool.digest);
      await this.enqueue(lost.filter((id) => this.outstanding.has(id)));
      for (const id of lost) this.samplesSeen.delete(id);
    }
  }

  private deliver(id: string, returnvalue: unknown): void {
    const job = this.outstanding.get(id);
    if (job === undefined) return; // delivered by an earlier sweep that outlived its timeout
    this.work.deliver(job, returnvalue);
    this.outstanding.delete(id);
  }

  /** Stops the run: raise the cancel flag, remove queued jobs, keep what finishes within the grace period. */
  private async cancel(): Promise<void> {
    await this.raiseCancelFlag();
    const deadline = Date.now() + CANCEL_GRACE_MS;
    while (this.outstanding.size > 0 && Date.now() < deadline) {
      for (const id of [...this.outstanding.keys()]) {
        try {
          await withTimeout(this.cancelJob(id), Math.max(1, deadline - Date.now()), 'cancel deadline');
        } catch {
          // Locked meanwhile, or Redis gone: try again until the deadline.
        }
      }
      if (this.outstanding.size > 0) await sleep(100);
    }
  }

  private async cancelJob(id: string): Promise<void> {
    const job = await this.queue.getJob(id);
    if (job === undefined) {
      this.outstanding.delete(id);
      return;
    }
    const state = await job.getState();
    if (state === 'completed') this.deliver(id, job.returnvalue);
    if (state !== 'active') {
      // Queued (waiting, delayed), finished or failed: remove. An active job is locked
      // by its worker; it stops at its next step and is removed on a later pass.
      await job.remove();
      this.outstanding.delete(id);
    }
  }

  private async raiseCancelFlag(): Promise<void> {
    await withTimeout(this.client.set(cancelKey(this.runId), '1', { EX: CANCEL_FLAG_SECONDS }), COMMAND_TIMEOUT_MS, 'cancel flag').catch(() => undefined);
  }

  /** After a failure: stop the other jobs of this run and remove them. */
  private async abandon(): Promise<void> {
    await this.raiseCancelFlag();
    const removeAll = async (): Promise<void> => {
      for (const id of this.outstanding.keys()) {
        const job = await this.queue.getJob(id).catch(() => undefined);
        await job?.remove().catch(() => undefined);
      }
    };
    await withTimeout(removeAll(), COMMAND_TIMEOUT_MS, 'abandon').catch(() => undefined);
  }
}

/** Plain shadow jobs: each job trains a group of shadows; a shadow is delivered once even if a retried job returns it again. */
class ShadowWork implements QueuedWork<GroupJob> {
  readonly name = 'shadow';
  readonly jobs: Map<string, GroupJob>;
  backend = '';
  private readonly setup: JobSetup;
  private readonly shipped = new Set<number>();
  private readonly auditValues: number;
  private readonly populationValues: number;

  constructor(private readonly pool: PoolRun) {
    const { store, ...rest } = pool.setup;
    this.setup = rest;
    this.jobs = new Map(pool.jobs.map((job) => [`s${job.shadows[0]}`, job]));
    this.auditValues = store.auditCount * queryVariants(rest.queries).length * rest.numClasses;
    this.populationValues = store.populationCount * rest.numClasses;
  }

  encode(runId: string, digest: string, job: GroupJob): object {
    return encodeJob(runId, digest, this.setup, job);
  }

  deliver(job: GroupJob, returnvalue: unknown): void {
    const { backend, results } = decodeResult(returnvalue, { shadows: job.shadows, auditValues: this.auditValues, populationValues: this.populationValues });
    this.backend = backend;
    for (const r of results) this.deliverShadow(r);
    const missing = job.shadows.filter((s) => !this.shipped.has(s));
    if (missing.length > 0) throw new Error(`a worker finished the job of shadows ${job.shadows.join(', ')} without returning shadows ${missing.join(', ')}`);
  }

  describe(job: GroupJob): string {
    return `shadow${job.shadows.length > 1 ? 's' : ''} ${job.shadows.join(', ')}`;
  }

  delivered(): number {
    return this.shipped.size;
  }

  private deliverShadow(result: ShadowResult): void {
    if (this.shipped.has(result.shadow)) return; // a retried job's duplicate
    this.pool.onShadow(result);
    this.shipped.add(result.shadow);
  }
}

/** Redis stayed unreachable past the run's limit. */
class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';
}

function isConnectionError(e: unknown): boolean {
  const text = `${(e as Error)?.name ?? ''} ${(e as Error)?.message ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|Connection is closed|connection.*closed|Stream isn't writeable|enableOfflineQueue|ETIMEDOUT|MaxRetriesPerRequest|LOADING|did not answer within/i.test(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string, kind: new (message: string) => Error = Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new kind(message)), ms);
    }),
  ]);
}
