/** Reads at most `limit` bytes from the start of a file, so a huge file costs only what is scanned. */
import { constants, promises as fs } from 'node:fs';
import { InputError } from '../errors';

export interface FileStart {
  bytes: Uint8Array;
  /** Size of the whole file. */
  size: number;
  /** The file is longer than what was read. */
  capped: boolean;
}

export async function fileSize(file: string): Promise<number> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (e) {
    throw new InputError(`cannot read the file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { file });
  }
  if (!stat.isFile()) throw new InputError('expected a file, found a directory or special file', { file });
  return stat.size;
}

export async function readStart(file: string, limit: number): Promise<FileStart> {
  const size = await fileSize(file);
  const length = Math.min(size, limit);
  const bytes = new Uint8Array(length);
  let handle;
  try {
    // Non-blocking: a file swapped for a FIFO after the size check cannot hang the open.
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) throw new InputError('expected a file, found a directory or special file', { file });
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(bytes, done, length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return { bytes: done === length ? bytes : bytes.subarray(0, done), size, capped: size > done };
  } catch (e) {
    throw new InputError(`cannot read the file: ${(e as Error).message}`, { file });
  } finally {
    await handle?.close();
  }
}
