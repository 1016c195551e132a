import * as path from 'node:path';
import type { DatasetSpec } from '../dataset';
import { InputError } from '../../errors';

export type DatasetFormat = NonNullable<DatasetSpec['format']>;

const BY_EXTENSION: Record<string, DatasetFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.npy': 'npy',
  '.npz': 'npz',
  '.idx': 'idx',
};

/** The format a file name implies, ignoring a trailing .gz; undefined when it implies none. */
export function formatFromName(file: string): DatasetFormat | undefined {
  const name = path.basename(file).toLowerCase().replace(/\.gz$/, '');
  // MNIST's own names: train-images-idx3-ubyte, t10k-labels.idx1-ubyte.
  if (/(^|[-.])idx\d+-ubyte$/.test(name) || name.endsWith('-ubyte')) return 'idx';
  return BY_EXTENSION[path.extname(name)];
}

export function inferFormat(file: string): DatasetFormat {
  const format = formatFromName(file);
  if (format) return format;
  throw new InputError(
    `cannot tell the dataset format from the name "${path.basename(file)}": expected .csv, .tsv, .jsonl, .ndjson, .npy, .npz, .idx or *-ubyte (optionally .gz), or set "format"`,
    { file },
  );
}
