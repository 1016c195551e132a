/**
 * The manifest's "preprocess", applied to loaded features: x' = (x * scale + offset - mean) / std,
 * the way scikit-learn's StandardScaler (mean_, scale_) and torchvision's Normalize(mean, std)
 * are written down. mean and std are each one number, one value per feature (in the order the
 * records are stored), or one value per channel of image records (the channel axis comes from
 * the layout); either may be an NPY file holding the values.
 */
import { InputError, type SourceLocation } from '../../errors';
import type { DatasetSpec, ImageLayout } from '../dataset';
import { formatShape } from './numbers';
import { parseNpy } from './npy';
import { readDataFile } from './read-file';

/** A problem with a value of the audit in the manifest; `auditKey` is its path inside the audit, e.g. ['preprocess', 'mean']. */
export class AuditSettingError extends InputError {
  constructor(message: string, location: SourceLocation, readonly auditKey: (string | number)[]) {
    super(message, location);
  }
}

/** Values larger than this cannot be a list of means or deviations (1 GiB of float64 would be). */
const MAX_STATS_BYTES = 64 * 1024 * 1024;

/** The numbers a "mean" or "std" setting names: inline, or read from its NPY file (any shape, C order). */
export async function readStats(value: number | number[] | string, key: 'mean' | 'std'): Promise<Float64Array> {
  if (typeof value === 'number') return Float64Array.of(value);
  if (Array.isArray(value)) return Float64Array.from(value);
  let bytes: Buffer;
  try {
    bytes = await readDataFile(value, MAX_STATS_BYTES, `preprocess.${key} file`);
  } catch (e) {
    const reason = e instanceof InputError ? e.message : String(e);
    throw new AuditSettingError(`preprocess.${key}: cannot read the file: ${reason}`, { file: value, field: `preprocess.${key}` }, ['preprocess', key]);
  }
  let arr;
  try {
    arr = parseNpy(bytes, { file: value });
  } catch (e) {
    const reason = e instanceof InputError ? e.message : String(e);
    throw new AuditSettingError(`preprocess.${key}: expected an NPY file of numbers (e.g. numpy.save of a StandardScaler's ${key === 'mean' ? 'mean_' : 'scale_'}): ${reason}`, { file: value, field: `preprocess.${key}` }, ['preprocess', key]);
  }
  const n = arr.shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = arr.get(i);
  return out;
}

export interface Standardisation {
  mean: Float64Array;
  std: Float64Array;
}

/**
 * Which value of `stats` applies to feature j of a record, as a function; throws on the
 * manifest key when the count fits neither one value, one per feature nor one per channel.
 */
function indexer(count: number, key: 'mean' | 'std', featureShape: readonly number[], layout: ImageLayout | undefined, where: SourceLocation): (j: number) => number {
  const size = featureShape.reduce((a, b) => a * b, 1);
  if (count === 1) return () => 0;
  if (count === size) return (j) => j;
  const fail = (why: string): never => {
    throw new AuditSettingError(
      `preprocess.${key} has ${count} values; records of shape ${formatShape(featureShape)} (${size} values) take 1, ${size} (one per feature)${why}`,
      { ...where, field: `preprocess.${key}` }, ['preprocess', key],
    );
  };
  if (count === 0 || size % count !== 0) return fail(' or one per channel');
  const axis = channelLayout(count, featureShape, layout);
  if (axis === 'ambiguous') return fail(`; for ${count} channels set "layout" ("nhwc" or "nchw") so the channel axis is known`);
  if (axis === undefined) return fail(`; ${count} is not the channel count of ${layout ? `"layout": "${layout}"` : 'either layout'}`);
  const plane = size / count;
  return axis === 'nhwc' ? (j) => j % count : (j) => Math.floor(j / plane);
}

/** True when mean or std is per channel and nothing says where the records' channel axis is (flat records, no layout). */
export function channelAxisUnknown(stats: Standardisation, featureShape: readonly number[], layout: ImageLayout | undefined): boolean {
  const size = featureShape.reduce((a, b) => a * b, 1);
  const perChannel = (n: number) => n > 1 && n !== size && size % n === 0;
  return [stats.mean.length, stats.std.length].some((n) => perChannel(n) && channelLayout(n, featureShape, layout) === 'ambiguous');
}

/**
 * Where the channel axis of stored records is for `channels` channels: the explicit layout when
 * the shape agrees with it, else the only end of a 3-D shape with that many entries. A flat
 * record fits both: with no layout that is 'ambiguous'.
 */
export function channelLayout(channels: number, featureShape: readonly number[], layout: ImageLayout | undefined): ImageLayout | 'ambiguous' | undefined {
  const last = featureShape.length === 3 && featureShape[2] === channels;
  const first = featureShape.length === 3 && featureShape[0] === channels;
  if (layout === 'nhwc') return featureShape.length !== 3 || last ? 'nhwc' : undefined;
  if (layout === 'nchw') return featureShape.length !== 3 || first ? 'nchw' : undefined;
  if (featureShape.length !== 3) return 'ambiguous';
  if (last && first) return 'ambiguous';
  return last ? 'nhwc' : first ? 'nchw' : undefined;
}

/**
 * x * scale + offset, then (x - mean) / std, in place. A value that stops being a finite
 * float32 is reported with its record, not kept; a zero or negative std is an error on its key.
 */
export function applyPreprocess(
  features: Float32Array,
  featureShape: readonly number[],
  settings: { scale?: number; offset?: number; layout?: ImageLayout; standardisation?: Standardisation },
  file: string,
): void {
  const scale = settings.scale ?? 1;
  const offset = settings.offset ?? 0;
  const size = featureShape.reduce((a, b) => a * b, 1);
  const stats = settings.standardisation;
  const where: SourceLocation = { file };
  let meanAt: (j: number) => number = () => 0;
  let stdAt: (j: number) => number = () => 0;
  let mean: Float64Array = Float64Array.of(0);
  let std: Float64Array = Float64Array.of(1);
  if (stats) {
    mean = stats.mean;
    std = stats.std;
    std.forEach((s, i) => {
      if (!(s > 0) || !Number.isFinite(s)) {
        throw new AuditSettingError(`preprocess.std value ${i} is ${s}; expected a positive finite standard deviation`, { ...where, field: 'preprocess.std' }, ['preprocess', 'std']);
      }
    });
    mean.forEach((m, i) => {
      if (!Number.isFinite(m)) throw new AuditSettingError(`preprocess.mean value ${i} is ${m}; expected a finite number`, { ...where, field: 'preprocess.mean' }, ['preprocess', 'mean']);
    });
    meanAt = indexer(mean.length, 'mean', featureShape, settings.layout, where);
    stdAt = indexer(std.length, 'std', featureShape, settings.layout, where);
  }
  if (scale === 1 && offset === 0 && !stats) return;
  for (let i = 0; i < features.length; i++) {
    const j = i % size;
    const value = features[i];
    // float64 arithmetic, one rounding to float32 at the end, like StandardScaler on float64 input.
    const result = (value * scale + offset - mean[meanAt(j)]) / std[stdAt(j)];
    features[i] = result;
    if (!Number.isFinite(features[i])) {
      const record = Math.floor(i / size);
      throw new InputError(
        `feature value ${j} of record ${record} is ${value}, which becomes ${result} after scale ${scale}${stats ? `, offset ${offset}, mean ${mean[meanAt(j)]} and std ${std[stdAt(j)]}` : ` and offset ${offset}`}; expected finite float32 values`,
        { file, record },
      );
    }
  }
}

/** The standardisation a dataset spec names, read from its files when it names files. */
export async function standardisationOf(spec: DatasetSpec): Promise<Standardisation | undefined> {
  if (spec.mean === undefined && spec.std === undefined) return undefined;
  return {
    mean: spec.mean === undefined ? Float64Array.of(0) : await readStats(spec.mean, 'mean'),
    std: spec.std === undefined ? Float64Array.of(1) : await readStats(spec.std, 'std'),
  };
}
