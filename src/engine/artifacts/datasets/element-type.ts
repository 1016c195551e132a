/** A fixed-size numeric element as stored in NPY and IDX files. */
export interface ElementType {
  /** b = bool, u = unsigned int, i = signed int, f = IEEE float. */
  kind: 'b' | 'u' | 'i' | 'f';
  size: 1 | 2 | 4 | 8;
  littleEndian: boolean;
}

/**
 * Returns a reader of element i of a packed array starting at `offset` in `bytes`.
 * 64-bit integers become the nearest double (exact up to 2^53), which is all a float32
 * feature or an int32 label can use anyway.
 */
export function elementReader(bytes: Uint8Array, offset: number, type: ElementType): (i: number) => number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, bytes.byteLength - offset);
  const le = type.littleEndian;
  switch (`${type.kind}${type.size}`) {
    case 'b1': return (i) => (view.getUint8(i) !== 0 ? 1 : 0);
    case 'u1': return (i) => view.getUint8(i);
    case 'i1': return (i) => view.getInt8(i);
    case 'u2': return (i) => view.getUint16(i * 2, le);
    case 'i2': return (i) => view.getInt16(i * 2, le);
    case 'u4': return (i) => view.getUint32(i * 4, le);
    case 'i4': return (i) => view.getInt32(i * 4, le);
    case 'u8': return (i) => Number(view.getBigUint64(i * 8, le));
    case 'i8': return (i) => Number(view.getBigInt64(i * 8, le));
    case 'f2': return (i) => halfToNumber(view.getUint16(i * 2, le));
    case 'f4': return (i) => view.getFloat32(i * 4, le);
    case 'f8': return (i) => view.getFloat64(i * 8, le);
    default: throw new Error(`no reader for element type ${type.kind}${type.size}`);
  }
}

/** IEEE 754 binary16 to double (DataView has no getFloat16 in Node 20). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
