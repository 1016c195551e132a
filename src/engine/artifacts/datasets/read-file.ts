import { createGunzip } from 'node:zlib';
import { InputError } from '../../errors';
import { formatBytes, readRegularFile } from '../safe-files';
import { formatFromName } from './format';
import { idxDeclaredBytes } from './idx';
import { npyDeclaredBytes } from './npy';

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
  // IDX and NPY headers state the exact data size: a gzip stream that runs past it is refused there.
  const format = formatFromName(file);
  return gunzipBounded(raw, limit - 1, file, format === 'idx' ? idxDeclaredBytes : format === 'npy' ? npyDeclaredBytes : undefined);
}

/**
 * Inflates a gzip stream while counting: refused as soon as the output passes `cap`, or
 * the size the decompressed header declares (`declared`, called on the first bytes until
 * it can tell), so a few megabytes of gzip cannot become gigabytes of memory.
 */
function gunzipBounded(raw: Buffer, cap: number, file: string, declared?: (head: Buffer, file: string) => number | null | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let total = 0;
    let limit = cap;
    let headKnown = declared === undefined;
    const fail = (error: InputError) => {
      gunzip.destroy();
      reject(error);
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (!headKnown) {
        try {
          const size = declared!(chunks.length === 1 ? chunk : Buffer.concat(chunks), file);
          if (size === null) headKnown = true;
          else if (size !== undefined) {
            headKnown = true;
            if (size > cap) return fail(new InputError(`the header declares ${formatBytes(size)} of data; decompressed datasets must be smaller than ${formatBytes(cap + 1)}`, { file }));
            limit = size;
          }
        } catch (e) {
          return fail(e as InputError);
        }
      }
      if (total > limit) {
        fail(new InputError(
          limit < cap
            ? `gzip data expands past the ${formatBytes(limit)} its header declares; refused`
            : `gzip data expands to ${formatBytes(cap + 1)} or more; refused (decompressed datasets must be smaller than ${formatBytes(cap + 1)})`,
          { file },
        ));
      }
    });
    gunzip.on('end', () => resolve(Buffer.concat(chunks, total)));
    gunzip.on('error', (e) => reject(new InputError(`file starts like gzip but does not decompress: ${e.message}`, { file })));
    gunzip.end(raw);
  });
}
