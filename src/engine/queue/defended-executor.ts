/**
 * The audit side of defended shadows on the queue: a DefendExecutor (see
 * defenses/training/defend-pool.ts) per shadow that ships the audit's record store once
 * (the same blob, by digest, as the plain shadows'), enqueues one 'defended-shadow' job
 * per model with the shadow's row indices, and writes each returned model's files into
 * the job's outDir, inside the defended-model cache entry the trainer then commits; so a
 * queued run fills the same content-addressed cache as a local one, each model once.
 * BullMQ is loaded only when a shadow actually trains.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DefendExecutor, DefendedShadowSource } from '../defenses/training/defend-pool';
import type { DefendJob, DefendJobResult } from '../defenses/training/job';
import type { QueueTarget } from './queue-url';
import type { QueuedWork } from './run-queued-jobs';
import { decodeDefendedResult, DEFENDED_JOB_NAME, encodeDefendedJob } from './defended-payload';

/** `source` names the records in the queue's error messages (the audit's data files). */
export function queuedDefendExecutor(target: QueueTarget, source: string): (shadow: DefendedShadowSource) => DefendExecutor {
  return (shadow) => async (run) => {
    const queue = require('./run-queued-jobs') as typeof import('./run-queued-jobs');
    const work = new DefendedWork(shadow, run.jobs);
    await queue.runQueue(work, { store: shadow.store, numClasses: run.jobs[0]?.numClasses ?? 0, digest: shadow.recordsDigest, signal: run.signal, onSamples: run.onSamples }, { target, source });
    return work.results();
  };
}

class DefendedWork implements QueuedWork<DefendJob> {
  readonly name = DEFENDED_JOB_NAME;
  readonly jobs: Map<string, DefendJob>;
  private readonly done = new Map<number, DefendJobResult>();

  constructor(private readonly source: DefendedShadowSource, jobs: DefendJob[]) {
    this.jobs = new Map(jobs.map((job) => [`d${source.shadow}-m${job.modelIndex}`, job]));
  }

  encode(runId: string, digest: string, job: DefendJob): object {
    const { shadow, members, reference } = this.source;
    return encodeDefendedJob({ runId, recordsDigest: digest, shadow, members, ...(reference ? { reference } : {}) }, job);
  }

  deliver(job: DefendJob, returnvalue: unknown): void {
    if (this.done.has(job.modelIndex)) return; // a retried job's duplicate
    const { result, files } = decodeDefendedResult(returnvalue, job.modelIndex);
    fs.mkdirSync(job.outDir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(job.outDir, name), bytes);
    this.done.set(job.modelIndex, result);
  }

  describe(job: DefendJob): string {
    return `shadow ${this.source.shadow} (${job.defense.name}, model ${job.modelIndex})`;
  }

  delivered(): number {
    return this.done.size;
  }

  results(): DefendJobResult[] {
    const results = [...this.jobs.values()].map((job) => this.done.get(job.modelIndex));
    if (results.some((r) => r === undefined)) throw new Error(`only ${this.done.size} of ${this.jobs.size} defended models of shadow ${this.source.shadow} came back from the queue`);
    return (results as DefendJobResult[]).sort((a, b) => a.modelIndex - b.modelIndex);
  }
}
