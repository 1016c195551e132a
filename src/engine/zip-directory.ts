/**
 * The central directory of a zip archive (zip64 included), read entry by entry as torch's
 * miniz reader and Python's zipfile read it: every entry is kept, duplicates included.
 * Nothing is inflated here. Shared by the unsafe-file scanner (PyTorch checkpoints, NPZ,
 * .keras) and the NPZ and .keras loaders, which differ only in what they do with a member.
 */

export interface ZipMember {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  /** Uncompressed size as the central directory declares it: a claim, checked while inflating. */
  declaredSize: number;
  /** Offset of the member's local header. */
  headerOffset: number;
}

export class ZipError extends Error {}

/** Members as the central directory lists them, duplicates included. Throws ZipError. */
export function listZip(bytes: Uint8Array): ZipMember[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  // The end record sits in the last 22 + 65535 (comment) bytes.
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
  // Every central entry takes at least 46 bytes: a count beyond that is a lie.
  if (count * 46 > bytes.length) throw new ZipError(`the directory claims ${count} members in ${bytes.length} bytes`);
  const members: ZipMember[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new ZipError(`central directory entry ${i} is missing or corrupt`);
    const method = view.getUint16(at + 10, true);
    let compressedSize = view.getUint32(at + 20, true);
    let declaredSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let headerOffset = view.getUint32(at + 42, true);
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
        if (declaredSize === 0xffffffff) declaredSize = next() ?? declaredSize;
        if (compressedSize === 0xffffffff) compressedSize = next() ?? compressedSize;
        if (headerOffset === 0xffffffff) headerOffset = next() ?? headerOffset;
      }
      e += 4 + size;
    }
    members.push({ name, method, compressedSize, declaredSize, headerOffset });
    at = extraEnd + commentLength;
  }
  return members;
}

/** The member's stored bytes (still compressed when method is 8). Throws ZipError. */
export function memberData(bytes: Uint8Array, m: ZipMember): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = m.headerOffset;
  if (h + 30 > bytes.length || view.getUint32(h, true) !== 0x04034b50) throw new ZipError('has no local header where the directory points');
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  if (start + m.compressedSize > bytes.length) throw new ZipError(`is truncated: ${m.compressedSize} compressed bytes declared, ${Math.max(0, bytes.length - start)} present`);
  return bytes.subarray(start, start + m.compressedSize);
}

export function isZipError(e: unknown): e is ZipError {
  return e instanceof ZipError;
}
