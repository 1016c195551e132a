/**
 * What travels through the queue: a shadow job (everything a worker needs to train the
 * job's shadows reproducibly, except the records themselves, which it fetches once by
 * their digest; see record-blob.ts) and its result. Typed arrays travel as base64 of
 * their little-endian bytes, so results arrive bit for bit as the worker computed them.
 * Both sides check what they receive: a job or result from another version, or one
 * damaged in Redis, is a clear error rather than training on garbage.
 */
import type { QueryName } from '../attacks/augmentations';
import type { BackendPreference } from '../backend';
import type { OptimizerSpec } from '../shadow/optimizer';
import type { GroupJob, GroupSetup, ShadowResult } from '../shadow/train-group';

/** Bump when the payload changes shape; a worker refuses other versions. */
export const JOB_FORMAT_VERSION = 1;

/** The run-wide part of a job: the group setup minus the records. */
export type JobSetup = Omit<GroupSetup, 'store'> & { backend: BackendPreference };

export interface ShadowJobData extends JobSetup {
  format: number;
  /** The audit run that enqueued the job (its cancel flag is keyed by it). */
  runId: string;
  /** recordsDigest of the records the shadows train on and are scored on. */
  recordsDigest: string;
  shadows: GroupJob['shadows'];
  /** Per shadow, its training records (indices into the record store), base64 int32. */
  members: string[];
}

export interface EncodedShadow {
  shadow: number;
  audit: string;
  population?: string;
}

export interface ShadowJobResult {
  format: number;
  backend: string;
  shadows: EncodedShadow[];
}

export function encodeJob(runId: string, recordsDigest: string, setup: JobSetup, job: GroupJob): ShadowJobData {
  return {
    format: JOB_FORMAT_VERSION,
    runId,
    recordsDigest,
    architecture: setup.architecture,
    optimizer: setup.optimizer,
    numClasses: setup.numClasses,
    epochs: setup.epochs,
    batchSize: setup.batchSize,
    seed: setup.seed,
    queries: [...setup.queries],
    backend: setup.backend,
    shadows: [...job.shadows],
    members: job.members.map((m) => toBase64(m)),
  };
}

/** The job a worker got, checked field by field; throws naming the first bad field. */
export function decodeJob(raw: unknown): { data: ShadowJobData; setup: JobSetup; job: GroupJob } {
  const d = object(raw, 'job data');
  if (d.format !== JOB_FORMAT_VERSION) {
    throw new Error(`the job has format ${JSON.stringify(d.format)}, this worker reads format ${JOB_FORMAT_VERSION}: run workers of the same privacy-lint version as the audit`);
  }
  const shadows = array(d.shadows, 'shadows').map((s, i) => wholeNumber(s, `shadows[${i}]`));
  const members = array(d.members, 'members').map((m, i) => fromBase64(string(m, `members[${i}]`), Int32Array, `members[${i}]`));
  if (members.length !== shadows.length) throw new Error(`the job lists ${shadows.length} shadows but ${members.length} training sets`);
  const architecture = object(d.architecture, 'architecture');
  const data: ShadowJobData = {
    format: JOB_FORMAT_VERSION,
    runId: string(d.runId, 'runId'),
    recordsDigest: digest(d.recordsDigest, 'recordsDigest'),
    architecture: {
      file: string(architecture.file, 'architecture.file'),
      topology: object(architecture.topology, 'architecture.topology'),
      trainingConfig: architecture.trainingConfig === undefined ? undefined : object(architecture.trainingConfig, 'architecture.trainingConfig'),
    },
    optimizer: object(d.optimizer, 'optimizer') as unknown as OptimizerSpec,
    numClasses: wholeNumber(d.numClasses, 'numClasses'),
    epochs: wholeNumber(d.epochs, 'epochs'),
    batchSize: wholeNumber(d.batchSize, 'batchSize'),
    seed: wholeNumber(d.seed, 'seed'),
    queries: array(d.queries, 'queries').map((q, i) => string(q, `queries[${i}]`) as QueryName),
    backend: string(d.backend, 'backend') as BackendPreference,
    shadows,
    members: d.members as string[],
  };
  const setup: JobSetup = {
    architecture: data.architecture, optimizer: data.optimizer, numClasses: data.numClasses,
    epochs: data.epochs, batchSize: data.batchSize, seed: data.seed, queries: data.queries, backend: data.backend,
  };
  return { data, setup, job: { shadows, members } };
}

export function encodeResult(backend: string, results: ShadowResult[]): ShadowJobResult {
  return {
    format: JOB_FORMAT_VERSION,
    backend,
    shadows: results.map((r) => ({
      shadow: r.shadow,
      audit: toBase64(r.auditProbabilities),
      ...(r.populationProbabilities ? { population: toBase64(r.populationProbabilities) } : {}),
    })),
  };
}

/** Sizes each shadow's arrays must have; a result that differs is rejected. */
export interface ResultShape {
  shadows: readonly number[];
  auditValues: number;
  populationValues: number;
}

/** A job's return value as the audit reads it (BullMQ may hand it over as JSON text). */
export function decodeResult(raw: unknown, expected: ResultShape): { backend: string; results: ShadowResult[] } {
  const value = typeof raw === 'string' ? parseJson(raw) : raw;
  const r = object(value, 'job result');
  if (r.format !== JOB_FORMAT_VERSION) throw new Error(`a worker returned result format ${JSON.stringify(r.format)}, expected ${JOB_FORMAT_VERSION}`);
  const results = array(r.shadows, 'result shadows').map((item, i): ShadowResult => {
    const s = object(item, `result shadows[${i}]`);
    const shadow = wholeNumber(s.shadow, `result shadows[${i}].shadow`);
    if (!expected.shadows.includes(shadow)) throw new Error(`a worker returned shadow ${shadow}, which its job did not ask for`);
    const auditProbabilities = fromBase64(string(s.audit, `result shadows[${i}].audit`), Float32Array, `result shadows[${i}].audit`);
    if (auditProbabilities.length !== expected.auditValues) {
      throw new Error(`shadow ${shadow}: ${auditProbabilities.length} audit probabilities returned, expected ${expected.auditValues}`);
    }
    let populationProbabilities: Float32Array | undefined;
    if (expected.populationValues > 0) {
      populationProbabilities = fromBase64(string(s.population, `result shadows[${i}].population`), Float32Array, `result shadows[${i}].population`);
      if (populationProbabilities.length !== expected.populationValues) {
        throw new Error(`shadow ${shadow}: ${populationProbabilities.length} population probabilities returned, expected ${expected.populationValues}`);
      }
    }
    return { shadow, auditProbabilities, populationProbabilities };
  });
  return { backend: string(r.backend, 'result backend'), results };
}

export function toBase64(values: Int32Array | Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

export function fromBase64<T extends Int32Array | Float32Array>(text: string, kind: { new (n: number): T }, field: string): T {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) throw new Error(`${field}: ${bytes.length} bytes is not a whole number of 4-byte values`);
  const out = new kind(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`a job result is not valid JSON: ${(e as Error).message}`);
  }
}

export function object(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${field}: expected an object`);
  return v as Record<string, unknown>;
}

export function array(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${field}: expected an array`);
  return v;
}

export function string(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new Error(`${field}: expected a string`);
  return v;
}

export function wholeNumber(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${field}: expected a whole number >= 0`);
  return v;
}

export function digest(v: unknown, field: string): string {
  const s = string(v, field);
  if (!/^[0-9a-f]{64}$/.test(s)) throw new Error(`${field}: expected a SHA-256 in hex`);
  return s;
}
