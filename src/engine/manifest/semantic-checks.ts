/**
 * Checks the JSON schema cannot express: unique audit names, files that exist, attack ids
 * known to the catalog (which grows faster than any hand-written enum), and settings that
 * would be silently ignored. Runs on the raw JSON even when the schema found problems, so
 * the user sees everything at once; every check skips values of the wrong type (the
 * schema reports those).
 */
import { statSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { isKnownAttack, knownAttacks, parseThresholdAttack } from '../attacks/catalog';
import { ACCEPTED_FORMATS_TEXT, formatFromName } from '../artifacts/datasets/format';
import { checkAuditDefenses } from './defense-checks';
import { outsideWorkspace } from '../artifacts/safe-files';
import type { ManifestRanges } from './ranges';
import { weightShardPaths } from './weight-shards';
import { didYouMean } from './suggest';
import { subjectOf } from './wording';
import type { JsonPath, ManifestProblem } from './types';

export interface SemanticContext {
  /** Folder relative paths are resolved against. */
  dir: string;
  fileExists: (absPath: string) => boolean;
  /** Every path must resolve (after symlinks) inside this folder; default `dir`. */
  root?: string;
  /** The user allowed paths outside the root (CLI flag or machine-scoped setting, never the manifest). */
  allowOutside?: boolean;
}

/** More audits than this in one manifest is refused: each audit trains models and reads datasets. */
export const MAX_AUDITS_PER_MANIFEST = 100;

type Json = Record<string, unknown>;

const DATASET_KEYS = ['members', 'nonMembers', 'population'] as const;

export function semanticProblems(root: unknown, ranges: ManifestRanges, ctx: SemanticContext): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const report = (severity: ManifestProblem['severity'], at: JsonPath, message: string, part: 'key' | 'value' = 'value') => {
    const range = ranges.rangeOf(at, part);
    if (range) problems.push({ message: `${subjectOf(at, root)}: ${message}`, range, severity, path: at });
  };

  const audits = isObject(root) ? root['audits'] : undefined;
  if (!Array.isArray(audits)) return problems;
  if (audits.length === 0) {
    report('warning', ['audits'], 'the list is empty, so there is nothing to audit; add an audit with a model, members and nonMembers.');
  }
  if (audits.length > MAX_AUDITS_PER_MANIFEST) {
    // Checked first and alone: checking 10,000 audits' files is the unbounded work this cap prevents.
    report('error', ['audits'], `expected at most ${MAX_AUDITS_PER_MANIFEST} audits in one manifest, found ${audits.length}; split them over several manifests.`, 'key');
    return problems;
  }

  const firstWithName = new Map<string, number>();
  audits.forEach((audit: unknown, index) => {
    if (!isObject(audit)) return;
    const at: JsonPath = ['audits', index];

    if (typeof audit['name'] === 'string' && audit['name'] !== '') {
      const earlier = firstWithName.get(audit['name']);
      if (earlier === undefined) firstWithName.set(audit['name'], index);
      else report('error', [...at, 'name'], `expected a unique audit name, found "${audit['name']}" again (audit ${earlier} already uses it).`);
    }

    if (typeof audit['model'] === 'string' && audit['model'] !== '') {
      if (checkExisting(report, ctx, [...at, 'model'], audit['model'], 'model file')) checkShards(report, ctx, [...at, 'model'], audit['model']);
    }
    // A list of models is an ensemble: each entry must exist (the schema checks types and count).
    if (Array.isArray(audit['model'])) {
      audit['model'].forEach((file: unknown, i) => {
        if (typeof file === 'string' && file !== '' && checkExisting(report, ctx, [...at, 'model', i], file, 'ensemble model file')) {
          checkShards(report, ctx, [...at, 'model', i], file);
        }
      });
    }

    for (const key of DATASET_KEYS) checkDataset(report, ctx, [...at, key], audit[key]);
    const shadow = audit['shadow'];
    if (isObject(shadow) && typeof shadow['architecture'] === 'string' && shadow['architecture'] !== '') {
      if (checkExisting(report, ctx, [...at, 'shadow', 'architecture'], shadow['architecture'], 'architecture model file')) {
        checkShards(report, ctx, [...at, 'shadow', 'architecture'], shadow['architecture']);
      }
    }
    checkPreprocessStats(report, ctx, [...at, 'preprocess'], audit['preprocess']);

    checkAttacks(report, [...at, 'attacks'], audit['attacks'], audit['population'] !== undefined);
    checkPolicy(report, [...at, 'policy', 'rules'], isObject(audit['policy']) ? audit['policy']['rules'] : undefined);
    checkAuditDefenses(report, at, audit);
  });
  return problems;
}

type Report = (severity: ManifestProblem['severity'], at: JsonPath, message: string, part?: 'key' | 'value') => void;

function checkDataset(report: Report, ctx: SemanticContext, at: JsonPath, dataset: unknown): void {
  const spec = typeof dataset === 'string' ? { path: dataset } : isObject(dataset) ? dataset : undefined;
  if (!spec || typeof spec['path'] !== 'string' || spec['path'] === '') return;
  const pathAt = typeof dataset === 'string' ? at : [...at, 'path'];
  const file = spec['path'];
  const exists = checkExisting(report, ctx, pathAt, file, 'dataset file');

  const explicitFormat = typeof spec['format'] === 'string' ? spec['format'] : undefined;
  // A folder is an image folder, as for the loader.
  const format = explicitFormat ?? formatFromName(file) ?? (exists && isDirectory(path.resolve(ctx.dir, file)) ? 'images' : undefined);
  // The loader would refuse the file; say so while the manifest is being written.
  if (exists && format === undefined) {
    report('error', pathAt, `expected a dataset file name that tells its format (${ACCEPTED_FORMATS_TEXT}), found "${file}"; add "format".`);
  }
  if (typeof spec['labelsPath'] === 'string' && spec['labelsPath'] !== '') {
    checkExisting(report, ctx, [...at, 'labelsPath'], spec['labelsPath'], 'labels file');
  }
  for (const key of ['featuresKey', 'labelsKey'] as const) {
    if (spec[key] !== undefined && format !== undefined && format !== 'npz') {
      report('warning', [...at, key], `"${key}" only applies to NPZ archives, but "${file}" is ${format}; it is ignored.`, 'key');
    }
  }
}

/** mean/std files must exist; a deviation must be positive (lengths are checked against the records when they load). */
function checkPreprocessStats(report: Report, ctx: SemanticContext, at: JsonPath, preprocess: unknown): void {
  if (!isObject(preprocess)) return;
  for (const key of ['mean', 'std'] as const) {
    const value = preprocess[key];
    if (typeof value === 'string' && value !== '') checkExisting(report, ctx, [...at, key], value, `NPY file of ${key === 'mean' ? 'means' : 'standard deviations'}`);
  }
  const std = preprocess['std'];
  const values = typeof std === 'number' ? [std] : Array.isArray(std) ? std : [];
  const bad = values.findIndex((v) => typeof v === 'number' && !(v > 0));
  if (bad >= 0) report('error', Array.isArray(std) ? [...at, 'std', bad] : [...at, 'std'], `expected a positive standard deviation, found ${values[bad]}.`);
}

function isDirectory(absolute: string): boolean {
  try {
    return statSync(absolute).isDirectory();
  } catch {
    return false;
  }
}

function checkExisting(report: Report, ctx: SemanticContext, at: JsonPath, relative: string, what: string): boolean {
  const absolute = path.resolve(ctx.dir, relative);
  // Confinement first, and instead of existence: whether a file outside the workspace exists is not the manifest's business.
  if (!checkInside(report, ctx, at, JSON.stringify(relative), absolute, what)) return false;
  if (ctx.fileExists(absolute)) return checkKind(report, at, JSON.stringify(relative), absolute, what);
  report('error', at, `expected an existing ${what}, found no file at "${relative}" (resolved to ${absolute}).`);
  return false;
}

/** `shown` is the path as the message quotes it. */
function checkInside(report: Report, ctx: SemanticContext, at: JsonPath, shown: string, absolute: string, what: string): boolean {
  if (ctx.allowOutside) return true;
  const why = outsideWorkspace(absolute, ctx.root ?? ctx.dir);
  if (why === undefined) return true;
  report('error', at, `expected a ${what} inside the workspace, found ${shown}, which ${why}; move it into the workspace, or allow it with --allow-outside-workspace (CLI) or the machine setting modelPrivacy.allowOutsideWorkspace (VS Code).`);
  return false;
}

/** A FIFO, socket or device is never opened (a FIFO would block the reader forever): an error on the key. */
function checkKind(report: Report, at: JsonPath, shown: string, absolute: string, what: string): boolean {
  let stat: Stats;
  try {
    stat = statSync(absolute);
  } catch {
    return true; // the editor's unsaved file, or gone since: the loader says what it finds
  }
  if (stat.isFile() || stat.isDirectory()) return true;
  const kind = stat.isFIFO() ? 'a FIFO (named pipe)' : stat.isSocket() ? 'a socket' : 'a device';
  report('error', at, `expected a regular ${what}, found ${shown}, which is ${kind}; only regular files are read.`);
  return false;
}

/** The weight shards a TF.js model.json names must stay inside the workspace too; reported on the model's key. */
function checkShards(report: Report, ctx: SemanticContext, at: JsonPath, relative: string): void {
  if (!relative.toLowerCase().endsWith('.json')) return;
  const modelJson = path.resolve(ctx.dir, relative);
  for (const shard of weightShardPaths(modelJson)) {
    const named = `${shard.name} (listed in ${relative})`;
    // Even where outside paths are allowed, a device or FIFO is never a shard (it would never end).
    if (!checkInside(report, ctx, at, named, shard.file, 'weight shard') || !checkKind(report, at, named, shard.file, 'weight shard')) return;
  }
}

function checkAttacks(report: Report, at: JsonPath, attacks: unknown, hasPopulation: boolean): void {
  if (!Array.isArray(attacks)) return;
  const seen = new Set<string>();
  attacks.forEach((id: unknown, i) => {
    if (typeof id !== 'string') return;
    if (!isKnownAttack(id)) {
      report('error', [...at, i], `expected a known attack id, found "${id}".${didYouMean(id, knownAttacks())} Known attacks: ${knownAttacks().join(', ')}.`);
      return;
    }
    if (seen.has(id)) report('warning', [...at, i], `attack "${id}" is listed twice; it runs once.`);
    seen.add(id);
    if (!hasPopulation && parseThresholdAttack(id)?.variant === 'population') {
      report('warning', [...at, i], `attack "${id}" calibrates its threshold on "population" data, but this audit has none; add "population" or remove the attack.`);
    }
  });
}

function checkPolicy(report: Report, at: JsonPath, rules: unknown): void {
  if (!Array.isArray(rules)) return;
  rules.forEach((rule: unknown, i) => {
    if (!isObject(rule) || rule['fpr'] === undefined) return;
    if (typeof rule['metric'] === 'string' && rule['metric'] !== 'tprAtFpr') {
      report('warning', [...at, i, 'fpr'], `"fpr" is only used by "tprAtFpr" rules; it is ignored for metric "${rule['metric']}".`, 'key');
    }
  });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
