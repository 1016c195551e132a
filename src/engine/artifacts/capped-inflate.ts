/**
 * Decompression that counts the bytes it produces and stops at a cap, whatever a header
 * claims: gzip streams and the members of zip archives (NPZ, .keras). node:zlib's
 * maxOutputLength aborts inflation as soon as the running output passes the cap, so a
 * bomb costs at most `cap` bytes of memory and the CPU time to produce them.
 */
import * as zlib from 'node:zlib';
import { InputError, type SourceLocation } from '../errors';
import { formatBytes } from './safe-files';

function isTooLarge(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
}

/** A gzip stream's content, refused once it passes `cap` bytes. */
export function gunzipCapped(data: Uint8Array, cap: number, where: SourceLocation): Buffer {
  try {
    return zlib.gunzipSync(data, { maxOutputLength: Math.max(1, cap) });
  } catch (e) {
    if (isTooLarge(e)) throw new InputError(`gzip data expands past ${formatBytes(cap)}; refused (decompressed data must be at most ${formatBytes(cap)})`, where);
    throw new InputError(`file starts like gzip but does not decompress: ${(e as Error).message}`, where);
  }
}

export interface ZipMember {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  /** As the central directory declares it: a claim, checked while inflating. */
  declaredSize: number;
  /** Offset of the member's local header. */
  headerOffset: number;
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 2 ** 24;
const u64 = (b: Uint8Array, o: number) => u32(b, o) + u32(b, o + 4) * 2 ** 32;

/** The central directory of a zip archive (zip64 included); nothing is inflated. */
export function listZipMembers(bytes: Uint8Array, file: string, what = 'zip archive'): ZipMember[] {
  const corrupt = (why: string) => new InputError(`not a readable ${what}: ${why}`, { file });
  let eocd = -1;
  // The end record sits in the last 22 + 65535 (comment) bytes.
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 65535); o--) {
    if (u32(bytes, o) === 0x06054b50) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no end-of-central-directory record');
  let count = u16(bytes, eocd + 10);
  let offset = u32(bytes, eocd + 16);
  if (eocd >= 20 && u32(bytes, eocd - 20) === 0x07064b50) {
    const z = u64(bytes, eocd - 12);
    if (z + 56 <= bytes.length && u32(bytes, z) === 0x06064b50) {
      count = u64(bytes, z + 32);
      offset = u64(bytes, z + 48);
    }
  }
  // Every central entry takes at least 46 bytes: a count beyond that is a lie.
  if (count * 46 > bytes.length) throw corrupt(`the directory claims ${count} members in ${bytes.length} bytes`);
  const members: ZipMember[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || u32(bytes, offset) !== 0x02014b50) throw corrupt(`central directory entry ${i} is truncated or missing`);
    const nameLength = u16(bytes, offset + 28);
    const extraLength = u16(bytes, offset + 30);
    const commentLength = u16(bytes, offset + 32);
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + offset + 46, Math.min(nameLength, bytes.length - offset - 46)).toString('utf8');
    let compressedSize = u32(bytes, offset + 20);
    let declaredSize = u32(bytes, offset + 24);
    let headerOffset = u32(bytes, offset + 42);
    // zip64 extra field: the 64-bit values of whichever fields are 0xFFFFFFFF, in this order.
    let e = offset + 46 + nameLength;
    const extraEnd = Math.min(e + extraLength, bytes.length);
    while (e + 4 <= extraEnd) {
      const id = u16(bytes, e);
      const size = u16(bytes, e + 2);
      if (id === 0x0001) {
        let p = e + 4;
        if (declaredSize === 0xffffffff && p + 8 <= extraEnd) {
          declaredSize = u64(bytes, p);
          p += 8;
        }
        if (compressedSize === 0xffffffff && p + 8 <= extraEnd) {
          compressedSize = u64(bytes, p);
          p += 8;
        }
        if (headerOffset === 0xffffffff && p + 8 <= extraEnd) headerOffset = u64(bytes, p);
      }
      e += 4 + size;
    }
    members.push({ name, method: u16(bytes, offset + 10), compressedSize, declaredSize, headerOffset });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}

/**
 * One member's content. Refused before inflating when it declares more than `cap`; refused
 * while inflating as soon as it produces more than it declared (so a member that declares
 * 1 MiB costs at most 1 MiB, whatever it would inflate to); refused after when it produced less.
 */
export function readZipMember(bytes: Uint8Array, member: ZipMember, cap: number, file: string): Uint8Array {
  const where = { file, field: member.name };
  if (member.declaredSize > cap) {
    throw new InputError(`zip member declares ${formatBytes(member.declaredSize)}, over its ${formatBytes(cap)} read cap; not inflated`, where);
  }
  const h = member.headerOffset;
  if (h + 30 > bytes.length || u32(bytes, h) !== 0x04034b50) throw new InputError('zip member has no local header where the directory points', where);
  const start = h + 30 + u16(bytes, h + 26) + u16(bytes, h + 28);
  const end = start + member.compressedSize;
  if (end > bytes.length) throw new InputError(`zip member is truncated: ${member.compressedSize} compressed bytes declared, ${Math.max(0, bytes.length - start)} present`, where);
  const data = bytes.subarray(start, end);
  let out: Uint8Array;
  if (member.method === 0) {
    out = data;
  } else if (member.method === 8) {
    try {
      // One byte over the declared size is enough to know the declaration lied.
      out = zlib.inflateRawSync(data, { maxOutputLength: member.declaredSize + 1 });
    } catch (e) {
      if (isTooLarge(e)) throw new InputError(`zip member inflates to more than the ${formatBytes(member.declaredSize)} it declares; refused`, where);
      throw new InputError(`zip member does not inflate: ${(e as Error).message}`, where);
    }
  } else {
    throw new InputError(`zip member uses compression method ${member.method}; only stored (0) and deflate (8) are read`, where);
  }
  if (out.length !== member.declaredSize) {
    throw new InputError(`zip member holds ${out.length} bytes but declares ${member.declaredSize}; refused`, where);
  }
  return out;
}
