/**
 * Shadow-training settings and the checks that turn bad input into an InputError
 * naming the setting (or file) at fault, before any thread or model is started.
 */
import * as os from 'node:os';
import type { Dataset } from '../artifacts/dataset';
import { recordSize } from '../artifacts/dataset';
import { QUERY_NAMES, imageGeometry, needsImages, queryVariants, type QueryName, type QueryVariant } from '../attacks/augmentations';
import { InputError } from '../errors';
import type { ShadowSpec } from '../manifest/types';
import { inCounts } from './keep-matrix';
import { populationFill } from './training-sets';

/**
 * The manifest's shadow settings with everything resolved: count (at least 2, since
 * every record needs IN and OUT shadows), trainSize (the caller passes the target's,
 * the member count) and the worker count (0 = one per core).
 */
export interface ShadowSettings extends Omit<ShadowSpec, 'trainSize' | 'queries'> {
  trainSize: number;
  queries: QueryName[];
  workers: number;
}

/** Where the settings came from, for error locations (the manifest, usually). */
export interface SettingsSource {
  file: string;
  /** Prefix of the settings' key path in that file, e.g. "audits[0].shadow". */
  fieldPrefix?: string;
}

const DEFAULT_SOURCE: SettingsSource = { file: 'shadow settings' };

export function settingError(source: SettingsSource | undefined, name: string, message: string): InputError {
  const s = source ?? DEFAULT_SOURCE;
  return new InputError(message, { file: s.file, field: s.fieldPrefix ? `${s.fieldPrefix}.${name}` : name });
}

/** Checks the settings alone; returns the query variants they ask for. */
export function checkSettings(settings: ShadowSettings, source?: SettingsSource): QueryVariant[] {
  const integer = (name: keyof ShadowSettings, min: number): void => {
    const v = settings[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw settingError(source, name, `must be an integer of at least ${min}, got ${JSON.stringify(v)}`);
    }
  };
  integer('count', 2);
  integer('epochs', 1);
  integer('batchSize', 1);
  integer('trainSize', 1);
  integer('workers', 0);
  if (!Number.isInteger(settings.seed) || settings.seed < 0 || settings.seed > 0xffffffff) {
    throw settingError(source, 'seed', `must be an integer from 0 to 4294967295, got ${JSON.stringify(settings.seed)}`);
  }
  if (typeof settings.learningRate !== 'number' || !(settings.learningRate > 0) || !Number.isFinite(settings.learningRate)) {
    throw settingError(source, 'learningRate', `must be a positive number, got ${JSON.stringify(settings.learningRate)}`);
  }
  if (settings.optimizer !== 'adam' && settings.optimizer !== 'sgd') {
    throw settingError(source, 'optimizer', `must be "adam" or "sgd", got ${JSON.stringify(settings.optimizer)}`);
  }
  if (!Array.isArray(settings.queries) || settings.queries.length === 0) {
    throw settingError(source, 'queries', 'must list at least one query ("identity", "mirror", "shift")');
  }
  for (const q of settings.queries) {
    if (!(QUERY_NAMES as readonly string[]).includes(q)) {
      throw settingError(source, 'queries', `unknown query ${JSON.stringify(q)}; expected one of ${QUERY_NAMES.join(', ')}`);
    }
  }
  return queryVariants(settings.queries);
}

/** Checks the records against each other, the class count and the query variants. */
export function checkRecords(
  audit: Dataset,
  population: Dataset | undefined,
  numClasses: number,
  variants: QueryVariant[],
  source?: SettingsSource,
): void {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new InputError(`a classifier needs at least 2 classes, got ${numClasses}`, { file: audit.source, field: 'numClasses' });
  }
  if (audit.count < 1) throw new InputError('no audit records to score', { file: audit.source });
  const check = (ds: Dataset): void => {
    const size = recordSize(ds.featureShape);
    if (ds.features.length < ds.count * size || ds.labels.length < ds.count) {
      throw new InputError(`holds fewer values than ${ds.count} records of shape [${ds.featureShape.join(', ')}]`, { file: ds.source });
    }
    for (let r = 0; r < ds.count; r++) {
      const y = ds.labels[r];
      if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
        throw new InputError(`label ${y} is outside 0..${numClasses - 1}`, { file: ds.source, record: r });
      }
    }
  };
  check(audit);
  if (population !== undefined) {
    if (population.featureShape.join('x') !== audit.featureShape.join('x')) {
      throw new InputError(
        `population records have shape [${population.featureShape.join(', ')}] but audit records [${audit.featureShape.join(', ')}]`,
        { file: population.source },
      );
    }
    check(population);
  }
  if (needsImages(variants) && imageGeometry(audit.featureShape) === undefined) {
    throw settingError(source, 'queries',
      `mirror and shift need image records (HxW or HxWxC), but the audit records have shape [${audit.featureShape.join(', ')}]`);
  }
}

/** Every shadow must reach trainSize with the population records there are. */
export function checkTrainSize(keep: Uint8Array, auditCount: number, populationCount: number, settings: ShadowSettings, source?: SettingsSource): void {
  const counts = inCounts(keep, auditCount, settings.count);
  const fewest = Math.min(...counts);
  const needed = populationFill(fewest, settings.trainSize);
  if (needed > populationCount) {
    throw settingError(source, 'trainSize',
      `${settings.trainSize} records per shadow need up to ${needed} population records (a shadow gets only ${fewest} of the ` +
      `${auditCount} audit records, each record going to half the shadows), but ${populationCount === 0 ? 'no population is given' : `the population has ${populationCount}`}; ` +
      'lower trainSize or add population records');
  }
}

/** Worker threads to start: the setting, 0 meaning one per core, never more than there is work for. */
export function workerCount(setting: number, jobs: number): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(setting === 0 ? cores : setting, jobs));
}
