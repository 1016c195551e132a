import { InputError } from '../../errors';
import { recordSize } from '../dataset';
import { elementReader, type ElementType } from './element-type';
import type { NdArray } from './ndarray';
import { formatShape } from './numbers';
import { formatBytes, MAX_DATASET_BYTES } from './read-file';

/** IDX data type codes (the third magic byte), as in the MNIST distribution notes. All big-endian. */
const TYPES: Record<number, { name: string; type: ElementType }> = {
  0x08: { name: 'unsigned byte', type: { kind: 'u', size: 1, littleEndian: false } },
  0x09: { name: 'signed byte', type: { kind: 'i', size: 1, littleEndian: false } },
  0x0b: { name: 'short', type: { kind: 'i', size: 2, littleEndian: false } },
  0x0c: { name: 'int', type: { kind: 'i', size: 4, littleEndian: false } },
  0x0d: { name: 'float', type: { kind: 'f', size: 4, littleEndian: false } },
  0x0e: { name: 'double', type: { kind: 'f', size: 8, littleEndian: false } },
};

const hex = (b: number) => `0x${b.toString(16).padStart(2, '0').toUpperCase()}`;

/**
 * The whole file's size as its header declares it, once `head` holds the header; undefined
 * before, null when it is no IDX header. Refuses a header whose values could not be held as float features, so a gzip bomb
 * is stopped by its first bytes.
 */
export function idxDeclaredBytes(head: Uint8Array, file: string): number | null | undefined {
  if (head.length < 4) return undefined;
  const entry = TYPES[head[2]];
  const ndims = head[3];
  // Not an IDX header (null: no declared size): parseIdx will say why, on the bytes as they are.
  if (head[0] !== 0 || head[1] !== 0 || !entry || ndims === 0) return null;
  const dataStart = 4 + 4 * ndims;
  if (head.length < dataStart) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const shape = Array.from({ length: ndims }, (_, d) => view.getUint32(4 + 4 * d, false));
  const values = recordSize(shape);
  if (values * 4 >= MAX_DATASET_BYTES) {
    throw new InputError(`the IDX header declares shape ${formatShape(shape)}: ${formatBytes(values * 4)} of float features; at most ${formatBytes(MAX_DATASET_BYTES)}`, { file });
  }
  return dataStart + values * entry.type.size;
}

/** Parses an (already gunzipped) IDX file: 00 00 <type> <ndims>, ndims big-endian u32 sizes, data. */
export function parseIdx(bytes: Uint8Array, file: string): NdArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const found = bytes.length < 4 ? `a ${bytes.length}-byte file` : Array.from(bytes.subarray(0, 4), hex).join(' ');
    throw new InputError(`not an IDX file: expected the magic 0x00 0x00 <type> <dims>, found ${found}`, { file });
  }
  const entry = TYPES[bytes[2]];
  if (!entry) {
    const known = Object.entries(TYPES).map(([code, t]) => `${hex(Number(code))} (${t.name})`).join(', ');
    throw new InputError(`unknown IDX data type ${hex(bytes[2])}; expected one of ${known}`, { file });
  }
  const ndims = bytes[3];
  if (ndims === 0) throw new InputError('IDX file declares 0 dimensions; expected at least 1 (the record count)', { file });
  const dataStart = 4 + 4 * ndims;
  if (bytes.length < dataStart) {
    throw new InputError(`truncated IDX header: ${ndims} dimensions need ${dataStart} header bytes, found ${bytes.length}`, { file });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndims }, (_, d) => view.getUint32(4 + 4 * d, false));
  const expected = recordSize(shape) * entry.type.size;
  const actual = bytes.length - dataStart;
  if (actual < expected) {
    throw new InputError(`truncated IDX data: shape ${formatShape(shape)} of ${entry.name} needs ${expected} bytes, found ${actual}`, { file });
  }
  return { shape, dtype: entry.name, get: elementReader(bytes, dataStart, entry.type) };
}
