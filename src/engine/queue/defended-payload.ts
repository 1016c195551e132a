/**
 * The 'defended-shadow' job: one model of a defended shadow (the adaptive attacker's
 * shadow retrained with a training-time defense; an ensemble defense is one job per member
 * model). It carries the DefendJob minus its records and output folder: the records are
 * the audit's record blob (record-blob.ts) plus the shadow's row indices into it, and the
 * trained model comes back as its files (model.json and weights, base64 of their bytes),
 * which the audit writes into the defended-model cache entry it is building.
 */
import type { Architecture } from '../shadow/architecture';
import type { BackendPreference } from '../backend';
import type { OptimizerSpec } from '../shadow/optimizer';
import type { DefendJob, DefendJobResult } from '../defenses/training/job';
import type { TrainingDefenseSpec } from '../defenses/training/types';
import { array, digest, fromBase64, JOB_FORMAT_VERSION, object, parseJson, string, toBase64, wholeNumber } from './job-payload';

/** BullMQ job name of a defended-shadow job (plain shadow jobs are named 'shadow'). */
export const DEFENDED_JOB_NAME = 'defended-shadow';

export interface DefendedJobData {
  format: number;
  kind: typeof DEFENDED_JOB_NAME;
  runId: string;
  recordsDigest: string;
  shadow: number;
  architecture: { file: string; topology: Record<string, unknown>; trainingConfig?: Record<string, unknown> };
  numClasses: number;
  defense: TrainingDefenseSpec;
  optimizer: OptimizerSpec;
  modelIndex: number;
  /** Store rows of the shadow's members, base64 int32; `share` indexes into them. */
  members: string;
  share: string;
  reference?: string;
  /** Names of the member and reference records, for error messages. */
  membersSource: string;
  referenceSource?: string;
  backend: BackendPreference;
}

export interface DefendedJobResultData {
  format: number;
  modelIndex: number;
  notes: string[];
  dp?: DefendJobResult['dp'];
  samples: number;
  backend: string;
  /** File name (no folders) -> base64 of its bytes. */
  files: Record<string, string>;
}

export interface DefendedJobParts {
  runId: string;
  recordsDigest: string;
  shadow: number;
  members: Int32Array;
  reference?: Int32Array;
}

export function encodeDefendedJob(parts: DefendedJobParts, job: DefendJob): DefendedJobData {
  if (job.defense.name === 'kl-pruning') throw new Error('kl-pruning starts from the target\'s own weights and is not trained on queue workers');
  if ((job.reference !== undefined) !== (parts.reference !== undefined)) throw new Error(`shadow ${parts.shadow}: the job's reference records do not match the rows given for it`);
  const { file, topology, trainingConfig } = job.architecture;
  return {
    format: JOB_FORMAT_VERSION,
    kind: DEFENDED_JOB_NAME,
    runId: parts.runId,
    recordsDigest: parts.recordsDigest,
    shadow: parts.shadow,
    architecture: { file, topology, ...(trainingConfig ? { trainingConfig } : {}) },
    numClasses: job.numClasses,
    defense: job.defense,
    optimizer: job.optimizer,
    modelIndex: job.modelIndex,
    members: toBase64(parts.members),
    share: toBase64(job.share),
    ...(parts.reference ? { reference: toBase64(parts.reference), referenceSource: job.reference?.source ?? 'reference' } : {}),
    membersSource: job.members.source,
    backend: job.backend,
  };
}

/** A defended job as the worker got it, checked field by field; throws naming the first bad field. */
export function decodeDefendedJob(raw: unknown): DefendedJobData & { memberRows: Int32Array; shareRows: Int32Array; referenceRows?: Int32Array } {
  const d = object(raw, 'job data');
  if (d.format !== JOB_FORMAT_VERSION) {
    throw new Error(`the job has format ${JSON.stringify(d.format)}, this worker reads format ${JOB_FORMAT_VERSION}: run workers of the same privacy-lint version as the audit`);
  }
  if (d.kind !== DEFENDED_JOB_NAME) throw new Error(`kind: expected "${DEFENDED_JOB_NAME}", got ${JSON.stringify(d.kind)}`);
  const architecture = object(d.architecture, 'architecture');
  const defense = object(d.defense, 'defense');
  const params = object(defense.params, 'defense.params');
  for (const [k, v] of Object.entries(params)) if (typeof v !== 'number') throw new Error(`defense.params.${k}: expected a number`);
  const train = object(defense.train, 'defense.train');
  const name = string(defense.name, 'defense.name');
  if (name === 'kl-pruning') throw new Error('defense.name: kl-pruning is not trained on queue workers');
  const memberRows = fromBase64(string(d.members, 'members'), Int32Array, 'members');
  const shareRows = fromBase64(string(d.share, 'share'), Int32Array, 'share');
  const bad = shareRows.findIndex((i) => i < 0 || i >= memberRows.length);
  if (bad >= 0) throw new Error(`share[${bad}]: ${shareRows[bad]} is not a member index (0..${memberRows.length - 1})`);
  const referenceRows = d.reference === undefined ? undefined : fromBase64(string(d.reference, 'reference'), Int32Array, 'reference');
  return {
    format: JOB_FORMAT_VERSION,
    kind: DEFENDED_JOB_NAME,
    runId: string(d.runId, 'runId'),
    recordsDigest: digest(d.recordsDigest, 'recordsDigest'),
    shadow: wholeNumber(d.shadow, 'shadow'),
    architecture: {
      file: string(architecture.file, 'architecture.file'),
      topology: object(architecture.topology, 'architecture.topology'),
      ...(architecture.trainingConfig === undefined ? {} : { trainingConfig: object(architecture.trainingConfig, 'architecture.trainingConfig') }),
    },
    numClasses: wholeNumber(d.numClasses, 'numClasses'),
    defense: {
      name: name as TrainingDefenseSpec['name'],
      params: params as Record<string, number>,
      train: {
        epochs: wholeNumber(train.epochs, 'defense.train.epochs'),
        batchSize: wholeNumber(train.batchSize, 'defense.train.batchSize'),
        learningRate: finite(train.learningRate, 'defense.train.learningRate'),
        optimizer: string(train.optimizer, 'defense.train.optimizer') as TrainingDefenseSpec['train']['optimizer'],
        seed: wholeNumber(train.seed, 'defense.train.seed'),
      },
    },
    optimizer: object(d.optimizer, 'optimizer') as unknown as OptimizerSpec,
    modelIndex: wholeNumber(d.modelIndex, 'modelIndex'),
    members: d.members as string,
    share: d.share as string,
    membersSource: string(d.membersSource, 'membersSource'),
    ...(referenceRows ? { reference: d.reference as string, referenceSource: string(d.referenceSource, 'referenceSource') } : {}),
    backend: string(d.backend, 'backend') as BackendPreference,
    memberRows,
    shareRows,
    ...(referenceRows ? { referenceRows } : {}),
  };
}

export function encodeDefendedResult(result: DefendJobResult, files: Record<string, Buffer>): DefendedJobResultData {
  return {
    format: JOB_FORMAT_VERSION,
    modelIndex: result.modelIndex,
    notes: result.notes,
    ...(result.dp ? { dp: result.dp } : {}),
    samples: result.samples,
    backend: result.backend,
    files: Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, bytes.toString('base64')])),
  };
}

/** A defended job's return value as the audit reads it; file names are plain names, never paths. */
export function decodeDefendedResult(raw: unknown, modelIndex: number): { result: DefendJobResult; files: Record<string, Buffer> } {
  const value = typeof raw === 'string' ? parseJson(raw) : raw;
  const r = object(value, 'job result');
  if (r.format !== JOB_FORMAT_VERSION) throw new Error(`a worker returned result format ${JSON.stringify(r.format)}, expected ${JOB_FORMAT_VERSION}`);
  const index = wholeNumber(r.modelIndex, 'result modelIndex');
  if (index !== modelIndex) throw new Error(`a worker returned model ${index} for the job of model ${modelIndex}`);
  const files: Record<string, Buffer> = {};
  for (const [name, text] of Object.entries(object(r.files, 'result files'))) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new Error(`result files: "${name}" is not a plain file name`);
    files[name] = Buffer.from(string(text, `result files.${name}`), 'base64');
  }
  if (files['model.json'] === undefined) throw new Error('result files: no model.json');
  const result: DefendJobResult = {
    modelIndex: index,
    notes: array(r.notes, 'result notes').map((n, i) => string(n, `result notes[${i}]`)),
    ...(r.dp === undefined ? {} : { dp: object(r.dp, 'result dp') as unknown as NonNullable<DefendJobResult['dp']> }),
    samples: wholeNumber(r.samples, 'result samples'),
    backend: string(r.backend, 'result backend'),
  };
  return { result, files };
}

function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${field}: expected a finite number`);
  return v;
}

/** The architecture as the defended trainer reads it. */
export function architectureOf(data: DefendedJobData): Architecture {
  return { file: data.architecture.file, topology: data.architecture.topology, ...(data.architecture.trainingConfig ? { trainingConfig: data.architecture.trainingConfig } : {}) };
}
