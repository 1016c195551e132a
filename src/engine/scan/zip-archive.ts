/**
 * Reads chosen members of a zip (PyTorch checkpoints, NPZ, .keras) with fflate, checking
 * the sizes the central directory declares before anything is inflated: a member or a
 * total above the caps is refused, which is what stops a zip bomb. fflate inflates into a
 * buffer of the declared size, so a member that lies about its size cannot grow past it.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';

/** Largest member inflated for scanning. */
export const MAX_MEMBER_BYTES = 256 * 1024 * 1024;
/** Largest total inflated from one archive. */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

export interface ZipMember {
  name: string;
  /** Declared by the central directory. */
  compressedSize: number;
  originalSize: number;
}

export function isZip(head: Uint8Array): boolean {
  // Local file header, or the end-of-central-directory record of an empty archive.
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** Members as the central directory lists them; nothing is inflated. Throws on an unreadable archive. */
export function listZip(bytes: Uint8Array): ZipMember[] {
  const members: ZipMember[] = [];
  unzipSync(bytes, {
    filter: (info: UnzipFileInfo) => {
      members.push({ name: info.name, compressedSize: info.size, originalSize: info.originalSize });
      return false;
    },
  });
  return members;
}

export interface Inflated {
  files: Record<string, Uint8Array>;
  /** Members not inflated, with why (over a cap). */
  refused: { name: string; reason: string }[];
}

/** Inflates the named members that fit the caps, in listing order. Throws on a corrupt archive. */
export function inflateMembers(bytes: Uint8Array, members: readonly ZipMember[], caps = { member: MAX_MEMBER_BYTES, total: MAX_INFLATED_BYTES }): Inflated {
  const refused: Inflated['refused'] = [];
  const chosen = new Set<string>();
  let total = 0;
  for (const m of members) {
    if (m.originalSize > caps.member) {
      refused.push({ name: m.name, reason: `it declares ${m.originalSize} bytes uncompressed (${m.compressedSize} compressed), over the ${caps.member}-byte cap for one member` });
    } else if (total + m.originalSize > caps.total) {
      refused.push({ name: m.name, reason: `the archive's members would inflate past the ${caps.total}-byte cap` });
    } else {
      total += m.originalSize;
      chosen.add(m.name);
    }
  }
  const files = chosen.size ? unzipSync(bytes, { filter: (info) => chosen.has(info.name) }) : {};
  return { files, refused };
}
