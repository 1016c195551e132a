/**
 * Compressed pickles, as joblib writes them (compress=...: zlib, gzip, bz2, lzma, xz, lz4;
 * and joblib < 0.10's "ZF" zlib files) and as gzip/zlib wrap any pickle. Node inflates
 * zlib and gzip itself; bz2 and xz are decoded by stream-decoders.ts. Either way bytes
 * are counted and output stops at the cap whatever the stream claims.
 * lzma (the .lzma "alone" format joblib's compress='lzma' writes) is decoded by our own
 * lzma-decoder.ts: npm's pure-JavaScript LZMA1 decoders either gather the whole output with
 * no way to stop it at a cap (lzma, LZMA-JS) or are AMD modules unchanged since 2013 that a
 * bundler cannot follow (lzma-purejs). lz4 is not decoded: a file in it is reported as not
 * verifiable (fail closed): still an error, only without the callable's name.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip, createInflate } from 'node:zlib';
import { bunzipFile, unxzFile } from './stream-decoders';
import { unlzmaFile } from './lzma-decoder';

export type Compression = 'gzip' | 'zlib' | 'zfile' | 'bz2' | 'xz' | 'lzma' | 'lz4';

export function compressionOf(head: Uint8Array): Compression | undefined {
  const [a, b] = head;
  if (head.length < 3) return undefined;
  if (a === 0x1f && b === 0x8b) return 'gzip';
  if ((a & 0x0f) === 8 && a >> 4 <= 7 && ((a << 8) | b) % 31 === 0) return 'zlib';
  if (a === 0x5a && b === 0x46 && head.length > 23) return 'zfile';
  // joblib picks its decompressor by these prefixes (BZ, ]\0): a stricter test would miss what joblib reads.
  if (a === 0x42 && b === 0x5a) return 'bz2';
  if ([0xfd, 0x37, 0x7a, 0x58, 0x5a].every((x, i) => head[i] === x)) return 'xz';
  if (a === 0x5d && b === 0x00) return 'lzma';
  if ([0x04, 0x22, 0x4d, 0x18].every((x, i) => head[i] === x)) return 'lz4';
  return undefined;
}

export type Decodable = 'gzip' | 'zlib' | 'zfile' | 'bz2' | 'xz' | 'lzma';

export function canInflate(kind: Compression): kind is Decodable {
  return kind === 'gzip' || kind === 'zlib' || kind === 'zfile' || kind === 'bz2' || kind === 'xz' || kind === 'lzma';
}

export interface Inflated {
  bytes: Uint8Array;
  /** Output stopped at the cap: there is more. */
  capped: boolean;
  /** The stream is corrupt or cut short after `bytes`. */
  error?: string;
  /**
   * bz2/xz/lzma only: nothing could be decoded, or the data uses a feature the decoder lacks
   * (Python's bz2/lzma may read it): what a loader unpickles is unknown, whatever came out.
   */
  undecoded?: string;
}

/** joblib < 0.10: "ZF", the length as 19 characters of hex, then zlib data. */
const ZFILE_HEADER = 2 + 19;

/**
 * Inflates a file as a stream (bz2 and xz through stream-decoders.ts), up to `cap` bytes of
 * output; never throws on bad data (the
 * error is reported with what came out before it). `keepGoing` sees the output once its
 * first `peekBytes` are in (or the stream ended): returning false stops there, so a
 * gzipped dataset that is no pickle costs one small inflate, not the whole file.
 * zlib data may hold several streams back to back: joblib's reader starts a new one where
 * the last ended, and so does this (Node's gunzip joins gzip members itself).
 */
export async function inflateFile(file: string, kind: Decodable, cap: number, peekBytes: number, keepGoing: (head: Uint8Array, ended: boolean) => boolean): Promise<Inflated & { stopped: boolean }> {
  const size = (await stat(file)).size;
  const chunks: Buffer[] = [];
  let total = 0;
  let peeked = false;
  const peek = (ended: boolean) => {
    if (peeked) return true;
    peeked = true;
    const head = Buffer.concat(chunks, Math.min(total, peekBytes));
    return keepGoing(new Uint8Array(head.buffer, head.byteOffset, head.byteLength), ended);
  };
  const result = (capped: boolean, stopped: boolean, error?: string) => {
    const all = Buffer.concat(chunks, Math.min(total, cap));
    return { bytes: new Uint8Array(all.buffer, all.byteOffset, all.byteLength), capped, stopped, ...(error ? { error } : {}) };
  };
  const onData = (chunk: Buffer): 'go' | 'stop' | 'cap' => {
    chunks.push(chunk);
    total += chunk.length;
    if (total >= peekBytes && !peek(false)) return 'stop';
    return total > cap ? 'cap' : 'go';
  };
  if (kind === 'bz2' || kind === 'xz' || kind === 'lzma') {
    const decoded = await (kind === 'bz2' ? bunzipFile : kind === 'xz' ? unxzFile : unlzmaFile)(file, onData);
    if (decoded.halted === 'stop') return result(false, true);
    if (decoded.halted === 'cap') return result(true, false);
    if (decoded.unsupported || (decoded.error !== undefined && total === 0)) return { ...result(false, false, decoded.error), undecoded: decoded.error ?? kind };
    return result(false, !peek(true), decoded.error);
  }
  let start = kind === 'zfile' ? ZFILE_HEADER : 0;
  for (;;) {
    const segment = await inflateSegment(file, start, kind === 'gzip', onData);
    if (segment.halted === 'stop') return result(false, true);
    if (segment.halted === 'cap') return result(true, false);
    if (segment.error !== undefined) return result(false, !peek(true), segment.error);
    start += segment.consumed;
    if (kind === 'gzip' || segment.consumed === 0 || start >= size) return result(false, !peek(true));
  }
}

interface Segment {
  /** Compressed bytes the stream used. */
  consumed: number;
  halted?: 'stop' | 'cap';
  error?: string;
}

function inflateSegment(file: string, start: number, gzip: boolean, onData: (chunk: Buffer) => 'go' | 'stop' | 'cap'): Promise<Segment> {
  const inflater = gzip ? createGunzip() : createInflate();
  // The caller has read this file's head already, as a regular file.
  const source = createReadStream(file, { start });
  return new Promise((resolve) => {
    let done = false;
    const finish = (segment: Segment) => {
      if (done) return;
      done = true;
      source.destroy();
      inflater.destroy();
      resolve(segment);
    };
    inflater.on('data', (chunk: Buffer) => {
      const next = onData(chunk);
      if (next !== 'go') finish({ consumed: inflater.bytesWritten, halted: next });
    });
    inflater.on('end', () => finish({ consumed: inflater.bytesWritten }));
    inflater.on('error', (e) => finish({ consumed: inflater.bytesWritten, error: e.message }));
    source.on('error', (e) => finish({ consumed: 0, error: e.message }));
    source.pipe(inflater);
  });
}
