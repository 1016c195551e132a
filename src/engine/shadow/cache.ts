/**
 * One file per trained shadow in the cache directory, holding what the attacks need
 * from it (its probabilities on the audit records and population). Files are written
 * to a temporary name and renamed, so a killed run leaves either a complete file or
 * none under the final name; on read, magic, sizes and a SHA-256 of the contents are
 * checked, and anything that does not verify counts as missing (the shadow retrains).
 *
 * File layout (little-endian):
 *   "MPLSHDW1"                         8 bytes
 *   header length H                    uint32
 *   header JSON (CacheHeader)          H bytes, padded with spaces to a multiple of 4
 *   audit probabilities                float32 x auditCount x queries x numClasses
 *   population probabilities           float32 x populationCount x numClasses
 *   SHA-256 of everything above        32 bytes
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeOldTemporaries, temporaryName } from '../cache-temporaries';

const MAGIC = Buffer.from('MPLSHDW1', 'ascii');
const DIGEST_BYTES = 32;

export interface CacheHeader {
  key: string;
  shadow: number;
  auditCount: number;
  populationCount: number;
  queries: number;
  numClasses: number;
}

export interface CachedShadow {
  auditProbabilities: Float32Array;
  populationProbabilities?: Float32Array;
}

export function cacheFile(cacheDir: string, key: string): string {
  return path.join(cacheDir, `shadow-${key}.bin`);
}

export function writeCachedShadow(cacheDir: string, header: CacheHeader, shadow: CachedShadow): void {
  fs.mkdirSync(cacheDir, { recursive: true });
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((4 - (Buffer.byteLength(headerText) % 4)) % 4);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  const parts = [MAGIC, length, headerBytes, bytesOf(shadow.auditProbabilities)];
  if (shadow.populationProbabilities !== undefined) parts.push(bytesOf(shadow.populationProbabilities));
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  parts.push(hash.digest());

  const file = cacheFile(cacheDir, header.key);
  const tmp = temporaryName(file);
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const p of parts) fs.writeSync(fd, p);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** The cached outputs under `expected.key`, or undefined when absent or not intact. */
export function readCachedShadow(cacheDir: string, expected: CacheHeader): CachedShadow | undefined {
  let data: Buffer;
  try {
    data = fs.readFileSync(cacheFile(cacheDir, expected.key));
  } catch {
    return undefined;
  }
  if (data.length < MAGIC.length + 4 + DIGEST_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const body = data.subarray(0, data.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(data.subarray(data.length - DIGEST_BYTES))) return undefined;
  const headerLength = data.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  let header: CacheHeader;
  try {
    header = JSON.parse(data.subarray(headerStart, headerStart + headerLength).toString('utf8')) as CacheHeader;
  } catch {
    return undefined;
  }
  for (const k of Object.keys(expected) as (keyof CacheHeader)[]) if (header[k] !== expected[k]) return undefined;
  const auditValues = expected.auditCount * expected.queries * expected.numClasses;
  const populationValues = expected.populationCount * expected.numClasses;
  const valuesStart = headerStart + headerLength;
  if (body.length !== valuesStart + 4 * (auditValues + populationValues)) return undefined;
  // Copy into aligned arrays (a Buffer's offset need not be a multiple of 4).
  const floats = (start: number, count: number): Float32Array => {
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(body.subarray(start, start + 4 * count));
    return out;
  };
  return {
    auditProbabilities: floats(valuesStart, auditValues),
    populationProbabilities: expected.populationCount > 0 ? floats(valuesStart + 4 * auditValues, populationValues) : undefined,
  };
}

function bytesOf(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** Temporary files older than this are leftovers of a killed run, not a write in progress. */
const STALE_TEMPORARY_MS = 10 * 60 * 1000;

/** Deletes temporary files a killed run left behind (never a finished cache file). */
export function removeStaleTemporaries(cacheDir: string, now = Date.now()): void {
  removeOldTemporaries(cacheDir, 'shadow-[0-9a-f]{64}\\.bin', STALE_TEMPORARY_MS, now);
}
