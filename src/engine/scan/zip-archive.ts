/**
 * Zip containers (PyTorch checkpoints, NPZ, .keras) for the scanner. The directory comes
 * from zip-directory.ts, every entry kept, so two members with the same name (torch reads
 * the first, zipfile the last) are both scanned. Inflating counts bytes as it goes and
 * stops at the cap whatever the sizes declared, so a member that lies about its size
 * cannot grow past it.
 */
import { constants, inflateRawSync } from 'node:zlib';
import { isZipError, memberData, type ZipMember } from '../zip-directory';

/** Largest member inflated for scanning. */
export const MAX_MEMBER_BYTES = 256 * 1024 * 1024;
/** Largest total inflated from one archive. */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

export { isZipError, listZip, memberData, ZipError, type ZipMember } from '../zip-directory';

export function isZip(head: Uint8Array): boolean {
  // Local file header, or the end-of-central-directory record of an empty archive.
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** The member's stored bytes, or why they cannot be had, as the scanner words it. */
function storedBytes(bytes: Uint8Array, m: ZipMember): { ok: true; raw: Uint8Array } | { ok: false; reason: string } {
  try {
    return { ok: true, raw: memberData(bytes, m) };
  } catch (e) {
    if (!isZipError(e)) throw e;
    return { ok: false, reason: `member "${m.name}" ${e.message}` };
  }
}

export type Unpacked = { ok: true; data: Uint8Array } | { ok: false; reason: string; overCap?: boolean };

/** The member's content: stored bytes as they are, deflated ones inflated up to `cap` bytes. */
export function unpackMember(bytes: Uint8Array, m: ZipMember, cap: number): Unpacked {
  const stored = storedBytes(bytes, m);
  if (!stored.ok) return stored;
  const raw = stored.raw;
  if (m.method === 0) return { ok: true, data: raw };
  if (m.method !== 8) return { ok: false, reason: `compression method ${m.method} is not one the scanner reads` };
  try {
    const data = inflateRawSync(raw, { maxOutputLength: Math.max(1, cap) });
    return { ok: true, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    const over = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
    return over
      ? { ok: false, overCap: true, reason: `it inflates past the ${cap}-byte cap (it declares ${m.declaredSize} bytes)` }
      : { ok: false, reason: `its deflate data is corrupt: ${(e as Error).message}` };
  }
}

/** Compressed bytes inflated to peek at a member's start: at most ~1032x as many come out, a few MiB. */
const PEEK_INPUT_BYTES = 4096;

/**
 * The first bytes of a member without inflating all of it (stored members are returned
 * whole, at no cost): enough to tell a pickle, an NPY header or raw data apart.
 * `complete` says the bytes are the whole member.
 */
export function peekMember(bytes: Uint8Array, m: ZipMember): { ok: true; data: Uint8Array; complete: boolean } | { ok: false; reason: string } {
  const stored = storedBytes(bytes, m);
  if (!stored.ok) return stored;
  const raw = stored.raw;
  if (m.method === 0) return { ok: true, data: raw, complete: true };
  if (m.method !== 8) return { ok: false, reason: `compression method ${m.method} is not one the scanner reads` };
  try {
    const part = raw.subarray(0, PEEK_INPUT_BYTES);
    const out = inflateRawSync(part, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 8 * 1024 * 1024 });
    return { ok: true, data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), complete: part.length === raw.length };
  } catch (e) {
    return { ok: false, reason: `its deflate data is corrupt: ${(e as Error).message}` };
  }
}
