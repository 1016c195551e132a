/**
 * Content-addressed cache of defended models, like the shadow cache: the key covers
 * everything that determines the trained weights (architecture and training config,
 * the members, the reference records and target weights when the defense reads them,
 * the defense with its params and retraining settings including the seed, and the
 * optimiser). An entry is a folder defended-<key>/ holding one Layers model per trained
 * model (model-0/, model-1/ ... for an ensemble) and meta.json, which lists a SHA-256
 * per file and is written last; the folder is built under a temporary name and renamed,
 * so a killed run leaves no half entry. An entry that does not verify is retrained.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from '../../artifacts/dataset';
import { readLayersModelArtifacts } from '../../artifacts/models/tfjs-layers-files';
import { removeOldTemporaries, temporaryName } from '../../cache-temporaries';
import type { Architecture } from '../../shadow/architecture';
import type { OptimizerSpec } from '../../shadow/optimizer';
import { NEEDS_REFERENCE } from './params';
import type { DefendedModel, TrainingDefenseName, TrainingDefenseSpec } from './types';

/** Bump when a change to the cache's files or to every defense's training changes what it outputs. */
export const DEFENDED_FORMAT_VERSION = 1;

/**
 * Bump one defense's revision when a change to its training alone changes what it
 * outputs, so only its cached models are retrained. Revision 1 is left out of the key.
 * relaxloss 2: ascent/flattening alternate by epoch, every record flattened (authors' code).
 */
const DEFENSE_REVISION: Partial<Record<TrainingDefenseName, number>> = { relaxloss: 2 };

export interface DefendedMeta {
  version: number;
  key: string;
  models: number;
  notes: string[];
  dp?: NonNullable<DefendedModel['dp']>;
  /** Relative path -> SHA-256 (hex) of every model file. */
  files: Record<string, string>;
}

export function datasetDigest(data: Dataset): string {
  return createHash('sha256')
    .update(JSON.stringify({ count: data.count, featureShape: data.featureShape }))
    .update(new Uint8Array(data.features.buffer, data.features.byteOffset, data.count * data.featureShape.reduce((a, b) => a * b, 1) * 4))
    .update(new Uint8Array(data.labels.buffer, data.labels.byteOffset, data.count * 4))
    .digest('hex');
}

function targetWeightsDigest(file: string): string {
  const artifacts = readLayersModelArtifacts(file);
  const hash = createHash('sha256').update(JSON.stringify({ topology: artifacts.modelTopology, specs: artifacts.weightSpecs }));
  const data = artifacts.weightData;
  for (const buffer of data === undefined ? [] : Array.isArray(data) ? data : [data]) hash.update(new Uint8Array(buffer));
  return hash.digest('hex');
}

export function defendedKey(parts: {
  architecture: Architecture;
  targetModelFile: string;
  members: Dataset;
  reference?: Dataset;
  numClasses: number;
  defense: TrainingDefenseSpec;
  optimizer: OptimizerSpec;
}): string {
  const { defense } = parts;
  return createHash('sha256').update(JSON.stringify({
    version: DEFENDED_FORMAT_VERSION,
    topology: parts.architecture.topology,
    trainingConfig: parts.architecture.trainingConfig ?? null,
    members: datasetDigest(parts.members),
    reference: NEEDS_REFERENCE.has(defense.name) && parts.reference ? datasetDigest(parts.reference) : null,
    target: defense.name === 'kl-pruning' ? targetWeightsDigest(parts.targetModelFile) : null,
    numClasses: parts.numClasses,
    defense: { name: defense.name, params: sortedParams(defense.params), train: defense.train },
    ...(DEFENSE_REVISION[defense.name] === undefined ? {} : { revision: DEFENSE_REVISION[defense.name] }),
    optimizer: parts.optimizer,
  })).digest('hex');
}

function sortedParams(params: Record<string, number>): [string, number][] {
  return Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function entryDir(cacheDir: string, key: string): string {
  return path.join(cacheDir, `defended-${key}`);
}

export function modelDir(root: string, index: number): string {
  return path.join(root, `model-${index}`);
}

/** A fresh temporary folder to train into; finish with commitEntry. */
export function startEntry(cacheDir: string, key: string): string {
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = temporaryName(entryDir(cacheDir, key));
  fs.mkdirSync(tmp);
  return tmp;
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function listFiles(root: string, dir = ''): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(root, path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

/** Writes meta.json into the temporary folder and moves it to its final name. */
/**
 * Hashes the trained files into meta.json and moves the folder into place. Returns the
 * entry's folder and its meta: ours as written (no need to hash the files again), or,
 * when another run committed the same entry first, theirs as verified by readEntry
 * (undefined if it does not verify).
 */
export function commitEntry(cacheDir: string, tmp: string, meta: Omit<DefendedMeta, 'files' | 'version'>): { final: string; meta: DefendedMeta | undefined } {
  const files: Record<string, string> = {};
  for (const f of listFiles(tmp)) files[f.split(path.sep).join('/')] = sha256File(path.join(tmp, f));
  const full: DefendedMeta = { version: DEFENDED_FORMAT_VERSION, ...meta, files };
  fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(full));
  const final = entryDir(cacheDir, meta.key);
  fs.rmSync(final, { recursive: true, force: true });
  try {
    fs.renameSync(tmp, final);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another run committed the same entry meanwhile: theirs is as good as ours.
    if (!fs.existsSync(path.join(final, 'meta.json'))) throw e;
    return { final, meta: readEntry(cacheDir, meta.key) };
  }
  return { final, meta: full };
}

/** The verified meta of a cached entry, or undefined (absent, damaged or another version). */
export function readEntry(cacheDir: string, key: string): DefendedMeta | undefined {
  const dir = entryDir(cacheDir, key);
  let meta: DefendedMeta;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as DefendedMeta;
  } catch {
    return undefined;
  }
  if (meta.version !== DEFENDED_FORMAT_VERSION || meta.key !== key || typeof meta.files !== 'object' || meta.files === null) return undefined;
  for (let i = 0; i < meta.models; i++) if (meta.files[`model-${i}/model.json`] === undefined) return undefined;
  for (const [file, digest] of Object.entries(meta.files)) {
    if (file.includes('..')) return undefined;
    try {
      if (sha256File(path.join(dir, file)) !== digest) return undefined;
    } catch {
      return undefined;
    }
  }
  return meta;
}

/** Temporary folders older than this are leftovers of a killed run, not training in progress. */
const STALE_TEMPORARY_MS = 24 * 60 * 60 * 1000;

/** Deletes temporary entry folders a killed run left behind (never a committed entry). */
export function removeStaleEntries(cacheDir: string, now = Date.now()): void {
  removeOldTemporaries(cacheDir, 'defended-[0-9a-f]{64}', STALE_TEMPORARY_MS, now);
}
