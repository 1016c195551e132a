import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { InputError } from '../../errors';
import { formatBytes, readRegularFile } from '../safe-files';

const gunzipAsync = promisify(gunzip);

/**
 * Largest dataset file, or decompressed gzip/zip member, we agree to hold in memory.
 * Anything at or above it is refused before allocation, so a zip bomb cannot exhaust memory.
 */
export const MAX_DATASET_BYTES = 2 ** 31;

export { formatBytes };

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads a dataset file whole, gunzipping it when it starts with the gzip magic (whatever
 * its name says). `limit` exists so tests can exercise the cap without 2 GiB of data.
 */
export async function readDataFile(file: string, limit = MAX_DATASET_BYTES, what = 'dataset file'): Promise<Buffer> {
  // Regular files only, inside the workspace, size checked before reading (safe-files.ts).
  const raw = await readRegularFile(file, {
    maxBytes: limit - 1,
    what,
    tooLarge: (size) => `file is ${formatBytes(size)}; dataset files must be smaller than ${formatBytes(limit)}`,
  });
  if (!isGzip(raw)) return raw;
  try {
    // maxOutputLength stops inflation at the cap instead of after it.
    return await gunzipAsync(raw, { maxOutputLength: limit - 1 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InputError(
        `gzip data expands to ${formatBytes(limit)} or more; refused (decompressed datasets must be smaller than ${formatBytes(limit)})`,
        { file },
      );
    }
    throw new InputError(`file starts like gzip but does not decompress: ${err.message}`, { file });
  }
}
