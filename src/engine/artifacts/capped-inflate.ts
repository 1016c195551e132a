/**
 * Decompression that counts the bytes it produces and stops at a cap, whatever a header
 * claims, for the members of zip archives (NPZ, .keras); gzip datasets inflate as a
 * counted stream in datasets/read-file.ts. node:zlib's
 * maxOutputLength aborts inflation as soon as the running output passes the cap, so a
 * bomb costs at most `cap` bytes of memory and the CPU time to produce them.
 */
import * as zlib from 'node:zlib';
import { InputError } from '../errors';
import { formatBytes } from './safe-files';
import { isZipError, listZip, memberData, type ZipMember } from '../zip-directory';

function isTooLarge(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
}

export type { ZipMember } from '../zip-directory';

/** The central directory of a zip archive (zip64 included), as an InputError naming the file when it cannot be read. */
export function listZipMembers(bytes: Uint8Array, file: string, what = 'zip archive'): ZipMember[] {
  try {
    return listZip(bytes);
  } catch (e) {
    if (isZipError(e)) throw new InputError(`not a readable ${what}: ${e.message}`, { file });
    throw e;
  }
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
  let data: Uint8Array;
  try {
    data = memberData(bytes, member);
  } catch (e) {
    if (isZipError(e)) throw new InputError(`zip member ${e.message}`, where);
    throw e;
  }
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
