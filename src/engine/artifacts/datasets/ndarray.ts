import { InputError, type SourceLocation } from '../../errors';
import { recordSize } from '../dataset';
import type { LoadedRecords } from './loaded-records';
import { formatShape } from './numbers';
import { MAX_DATASET_BYTES, formatBytes } from './read-file';

/** An n-dimensional array read from NPY or IDX, addressed in C (row-major) order. */
export interface NdArray {
  shape: number[];
  /** The stored type as the file names it, for messages: "<f4", "ubyte". */
  dtype: string;
  /** Element i in C order, whatever order the file stores. */
  get(i: number): number;
}

/** First axis = records, the rest = each record's feature shape ([1] for a 1-D array). */
/** `where` names the file (and NPZ member) for errors. */
export function ndarrayToRecords(arr: NdArray, where: SourceLocation): Omit<LoadedRecords, 'labels'> {
  if (arr.shape.length === 0) throw new InputError('expected an array with one record per row, found a scalar (shape [])', where);
  const count = arr.shape[0];
  const featureShape = arr.shape.length > 1 ? arr.shape.slice(1) : [1];
  const size = recordSize(featureShape);
  // Refused before allocating: a small gzipped file can declare billions of values.
  if (count * size * 4 >= MAX_DATASET_BYTES) {
    throw new InputError(`${count} records of ${size} values make ${formatBytes(count * size * 4)} of float features; at most ${formatBytes(MAX_DATASET_BYTES)}`, where);
  }
  const features = new Float32Array(count * size);
  for (let i = 0; i < features.length; i++) {
    const value = arr.get(i);
    features[i] = value;
    if (!Number.isFinite(features[i])) {
      const what = Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? `${value}, beyond float32 range` : String(value);
      throw new InputError(
        `feature value ${i % size} of record ${Math.floor(i / size)} is ${what}; expected finite numbers`,
        { ...where, record: Math.floor(i / size) },
      );
    }
  }
  return { count, featureShape, features };
}

/** One class index per record: shape [n] or [n, 1], integer-valued, non-negative. */
export function ndarrayToLabels(arr: NdArray, where: SourceLocation): Int32Array {
  const [n, ...rest] = arr.shape;
  if (arr.shape.length === 0 || recordSize(rest) !== 1) {
    const hint = arr.shape.length === 2 ? ' (one-hot labels? store their argmax instead)' : '';
    throw new InputError(`expected labels of shape [n] or [n, 1], one class index per record, found shape ${formatShape(arr.shape)}${hint}`, where);
  }
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const value = arr.get(r);
    if (!Number.isInteger(value)) throw new InputError(`label ${value} of record ${r} is not an integer; expected a class index`, { ...where, record: r });
    if (value < 0) throw new InputError(`label ${value} of record ${r} is negative; class indices start at 0`, { ...where, record: r });
    if (value > 2 ** 31 - 1) throw new InputError(`label ${value} of record ${r} is too large for a class index`, { ...where, record: r });
    labels[r] = value;
  }
  return labels;
}
