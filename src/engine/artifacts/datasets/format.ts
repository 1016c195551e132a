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
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.arrows': 'arrow',
  '.ipc': 'arrow',
};

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** An image an image folder reads (by extension; the loader then checks the magic bytes). */
export function isImageFileName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** What inferFormat's message and the manifest's say is accepted. */
export const ACCEPTED_FORMATS_TEXT =
  '.csv, .tsv, .jsonl, .ndjson, .npy, .npz, .idx or *-ubyte (optionally .gz), .parquet, .arrow or .feather, or a folder of images with one sub-folder per class';

/** The format a file name implies, ignoring a trailing .gz; undefined when it implies none (folders included). */
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
    `cannot tell the dataset format from the name "${path.basename(file)}": expected ${ACCEPTED_FORMATS_TEXT}, or set "format"`,
    { file },
  );
}
