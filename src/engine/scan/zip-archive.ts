/**
 * Zip containers (PyTorch checkpoints, NPZ, .keras) read entry by entry from the central
 * directory, as torch's miniz reader and Python's zipfile do: every entry is kept, so two
 * members with the same name (torch reads the first, zipfile the last) are both scanned.
 * Inflating counts bytes as it goes and stops at the cap whatever the sizes declared, so
 * a member that lies about its size cannot grow past it.
 */
import { constants, inflateRawSync } from 'node:zlib';

/** Largest member inflated for scanning. */
export const MAX_MEMBER_BYTES = 256 * 1024 * 1024;
/** Largest total inflated from one archive. */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

export interface ZipMember {
  name: string;
  /** Declared by the central directory. */
  compressedSize: number;
  originalSize: number;
  method: number;
  /** Offset of the local file header. */
  localOffset: number;
}

export class ZipError extends Error {}

export function isZip(head: Uint8Array): boolean {
  // Local file header, or the end-of-central-directory record of an empty archive.
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** Members as the central directory lists them, duplicates included; nothing is inflated. Throws ZipError. */
export function listZip(bytes: Uint8Array): ZipMember[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipError('no end-of-central-directory record');
  let count = view.getUint16(eocd + 10, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if ((count === 0xffff || cdOffset === 0xffffffff) && eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50) {
    const z64 = Number(view.getBigUint64(eocd - 12, true));
    if (z64 + 56 > bytes.length || view.getUint32(z64, true) !== 0x06064b50) throw new ZipError('zip64 end-of-central-directory record is missing');
    count = Number(view.getBigUint64(z64 + 32, true));
    cdOffset = Number(view.getBigUint64(z64 + 48, true));
  }
  const members: ZipMember[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new ZipError(`central directory entry ${i} is missing or corrupt`);
    const method = view.getUint16(at + 10, true);
    let compressedSize = view.getUint32(at + 20, true);
    let originalSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localOffset = view.getUint32(at + 42, true);
    if (at + 46 + nameLength + extraLength > bytes.length) throw new ZipError(`central directory entry ${i} runs past the end`);
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + at + 46, nameLength).toString('utf8');
    // zip64 extra field: the 64-bit values, in this order, for the fields set to 0xffffffff.
    let e = at + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const size = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let f = e + 4;
        const next = () => { const v = f + 8 <= e + 4 + size ? Number(view.getBigUint64(f, true)) : undefined; f += 8; return v; };
        if (originalSize === 0xffffffff) originalSize = next() ?? originalSize;
        if (compressedSize === 0xffffffff) compressedSize = next() ?? compressedSize;
        if (localOffset === 0xffffffff) localOffset = next() ?? localOffset;
      }
      e += 4 + size;
    }
    members.push({ name, compressedSize, originalSize, method, localOffset });
    at = extraEnd + commentLength;
  }
  return members;
}

/** The member's stored bytes (still compressed when method is 8). Throws ZipError. */
export function memberData(bytes: Uint8Array, m: ZipMember): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (m.localOffset + 30 > bytes.length || view.getUint32(m.localOffset, true) !== 0x04034b50) throw new ZipError(`member "${m.name}": local header missing`);
  const start = m.localOffset + 30 + view.getUint16(m.localOffset + 26, true) + view.getUint16(m.localOffset + 28, true);
  if (start + m.compressedSize > bytes.length) throw new ZipError(`member "${m.name}": data runs past the end of the archive`);
  return bytes.subarray(start, start + m.compressedSize);
}

export type Unpacked = { ok: true; data: Uint8Array } | { ok: false; reason: string; overCap?: boolean };

/** The member's content: stored bytes as they are, deflated ones inflated up to `cap` bytes. */
export function unpackMember(bytes: Uint8Array, m: ZipMember, cap: number): Unpacked {
  let raw: Uint8Array;
  try {
    raw = memberData(bytes, m);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  if (m.method === 0) return { ok: true, data: raw };
  if (m.method !== 8) return { ok: false, reason: `compression method ${m.method} is not one the scanner reads` };
  try {
    const data = inflateRawSync(raw, { maxOutputLength: Math.max(1, cap) });
    return { ok: true, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    const over = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
    return over
      ? { ok: false, overCap: true, reason: `it inflates past the ${cap}-byte cap (it declares ${m.originalSize} bytes)` }
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
  let raw: Uint8Array;
  try {
    raw = memberData(bytes, m);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
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
