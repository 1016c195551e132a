/**
 * Compressed pickles, as joblib writes them (compress=...: zlib, gzip, bz2, lzma, xz, lz4;
 * and joblib < 0.10's "ZF" zlib files) and as gzip/zlib wrap any pickle. Node inflates
 * zlib and gzip itself, counting bytes and stopping at the cap whatever the stream
 * claims. bz2, xz, lzma and lz4 need decompressors Node lacks; rather than add four
 * dependencies for rare formats, a file in them is reported as not verifiable (fail closed).
 */
import { createGunzip, createInflate } from 'node:zlib';
import { Readable } from 'node:stream';

export type Compression = 'gzip' | 'zlib' | 'zfile' | 'bz2' | 'xz' | 'lzma' | 'lz4';

export function compressionOf(head: Uint8Array): Compression | undefined {
  const [a, b, c] = head;
  if (head.length < 3) return undefined;
  if (a === 0x1f && b === 0x8b) return 'gzip';
  if ((a & 0x0f) === 8 && a >> 4 <= 7 && ((a << 8) | b) % 31 === 0) return 'zlib';
  if (a === 0x5a && b === 0x46 && head.length > 23) return 'zfile';
  if (a === 0x42 && b === 0x5a && c === 0x68) return 'bz2';
  if ([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00].every((x, i) => head[i] === x)) return 'xz';
  if (a === 0x5d && b === 0x00 && c === 0x00) return 'lzma';
  if ([0x04, 0x22, 0x4d, 0x18].every((x, i) => head[i] === x)) return 'lz4';
  return undefined;
}

export function canInflate(kind: Compression): kind is 'gzip' | 'zlib' | 'zfile' {
  return kind === 'gzip' || kind === 'zlib' || kind === 'zfile';
}

export interface Inflated {
  bytes: Uint8Array;
  /** Output stopped at the cap: there is more. */
  capped: boolean;
  /** The stream is corrupt or cut short after `bytes`. */
  error?: string;
}

/** joblib < 0.10: "ZF", the length as 19 characters of hex, then zlib data. */
const ZFILE_HEADER = 2 + 19;

/** Inflates up to `cap` bytes; never throws on bad data (the error is reported with what came out before it). */
export async function inflatePrefix(input: Uint8Array, kind: 'gzip' | 'zlib' | 'zfile', cap: number): Promise<Inflated> {
  const source = kind === 'zfile' ? input.subarray(ZFILE_HEADER) : input;
  const inflater = kind === 'gzip' ? createGunzip() : createInflate();
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise((resolve) => {
    let done = false;
    const finish = (capped: boolean, error?: string) => {
      if (done) return;
      done = true;
      inflater.destroy();
      const all = Buffer.concat(chunks, Math.min(total, cap));
      resolve({ bytes: new Uint8Array(all.buffer, all.byteOffset, all.byteLength), capped, ...(error ? { error } : {}) });
    };
    inflater.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total > cap) finish(true);
    });
    inflater.on('end', () => finish(false));
    inflater.on('error', (e) => finish(false, e.message));
    Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]).pipe(inflater);
  });
}
