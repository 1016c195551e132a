import { endianness } from 'node:os';
import { excerpt } from '../../report/escape';
import { InputError, type SourceLocation } from '../../errors';
import { recordSize } from '../dataset';
import { elementReader, type ElementType } from './element-type';
import type { NdArray } from './ndarray';
import { formatShape, MAX_QUOTED_CHARS } from './numbers';
import { formatBytes, MAX_DATASET_BYTES } from './read-file';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** True when the bytes start like an NPY file (magic and room for the version and length). */
export function hasNpyMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && MAGIC.every((b, i) => bytes[i] === b);
}

/** The NPY preamble: magic, version, header length, and the header dict as text. Shared with the pickle scanner. */
export type NpyPreamble =
  | { kind: 'ok'; header: string; headerStart: number; headerLength: number; dataStart: number }
  | { kind: 'not-npy' }
  | { kind: 'unsupported-version'; major: number; minor: number }
  | { kind: 'truncated'; headerStart: number; headerLength: number };

export function readNpyPreamble(bytes: Uint8Array): NpyPreamble {
  if (!hasNpyMagic(bytes)) return { kind: 'not-npy' };
  const [major, minor] = [bytes[6], bytes[7]];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if ((major === 2 || major === 3) && bytes.length >= 12) {
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    return { kind: 'unsupported-version', major, minor };
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) return { kind: 'truncated', headerStart, headerLength };
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  return { kind: 'ok', header, headerStart, headerLength, dataStart };
}

const SUPPORTED = ['b1', 'u1', 'i1', 'u2', 'i2', 'u4', 'i4', 'u8', 'i8', 'f2', 'f4', 'f8'];

/**
 * Parses a NumPy .npy file (format versions 1, 2 and 3) holding a plain numeric array.
 * Object arrays are refused outright: reading them means unpickling, which runs code.
 * `where` names the file, and the member when the array comes from an NPZ.
 */
export function parseNpy(bytes: Uint8Array, where: SourceLocation): NdArray {
  const preamble = readNpyPreamble(bytes);
  switch (preamble.kind) {
    case 'not-npy':
      throw new InputError(`not an NPY file: expected it to start with \\x93NUMPY, found ${describeStart(bytes)}`, where);
    case 'unsupported-version':
      throw new InputError(`unsupported NPY format version ${preamble.major}.${preamble.minor}; expected 1.0, 2.0 or 3.0`, where);
    case 'truncated':
      throw new InputError(`truncated NPY header: it declares ${preamble.headerLength} bytes but the file ends after ${bytes.length - preamble.headerStart}`, where);
  }
  const { header, dataStart } = preamble;
  const { descr, fortranOrder, shape } = parseHeader(header, where);
  const type = parseDescr(descr, where);

  const count = recordSize(shape);
  const expected = count * type.size;
  const actual = bytes.length - dataStart;
  // Extra trailing bytes are tolerated, as numpy.load does; missing ones are not.
  if (actual < expected) {
    throw new InputError(
      `truncated NPY data: shape ${formatShape(shape)} of ${descr} needs ${expected} bytes, found ${actual}`,
      where,
    );
  }
  const read = elementReader(bytes, dataStart, type);
  const get = fortranOrder && shape.length > 1 ? fortranToC(shape, read) : read;
  return { shape, dtype: descr, get };
}

/**
 * The whole file's size as its header declares it, once `head` holds the header; undefined
 * before, null when it is no NPY file. Refuses a shape whose values could not be held as
 * float features, so a gzipped NPY bomb is stopped by its first bytes (see read-file.ts).
 */
export function npyDeclaredBytes(head: Uint8Array, file: string): number | null | undefined {
  if (head.length < 12) return undefined;
  const preamble = readNpyPreamble(head);
  if (preamble.kind === 'truncated') return undefined;
  if (preamble.kind !== 'ok') return null;
  const where = { file };
  const { descr, shape } = parseHeader(preamble.header, where);
  const count = recordSize(shape);
  if (count * 4 >= MAX_DATASET_BYTES) {
    throw new InputError(`the NPY header declares shape ${formatShape(shape)}: ${formatBytes(count * 4)} of float features; at most ${formatBytes(MAX_DATASET_BYTES)}`, where);
  }
  return preamble.dataStart + count * parseDescr(descr, where).size;
}

function parseHeader(header: string, where: SourceLocation): { descr: string; fortranOrder: boolean; shape: number[] } {
  const expected = `expected a header like {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}, found ${excerpt(JSON.stringify(header.trim()), MAX_QUOTED_CHARS)}`;
  if (/['"]descr['"]\s*:\s*\[/.test(header)) {
    throw new InputError('structured (record) arrays are not supported; expected a plain numeric array', where);
  }
  const descr = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(header)?.[2];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)\b/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new InputError(`malformed NPY header: ${expected}`, where);
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = parts.map((p) => {
    const m = /^(\d+)L?$/.exec(p); // Python 2 wrote longs as 3L
    if (!m) throw new InputError(`malformed NPY shape "(${excerpt(shapeText, MAX_QUOTED_CHARS)})": expected non-negative integers`, where);
    return Number(m[1]);
  });
  return { descr, fortranOrder: fortran === 'True', shape };
}

function parseDescr(descr: string, where: SourceLocation): ElementType {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (m && m[2] === 'O') {
    throw new InputError(
      `array of Python objects (dtype '${descr}') refused: it can only be read by unpickling, which can run arbitrary code; save a numeric array instead (e.g. arr.astype('float32'))`,
      where,
    );
  }
  const code = m ? `${m[2]}${m[3]}` : '';
  if (!m || !SUPPORTED.includes(code)) {
    throw new InputError(
      `unsupported dtype '${descr}'; expected bool, (u)int8/16/32/64 or float16/32/64 (${SUPPORTED.join(' ')} with < > | byte order)`,
      where,
    );
  }
  const order = m[1];
  return {
    kind: code[0] as ElementType['kind'],
    size: Number(m[3]) as ElementType['size'],
    littleEndian: order === '<' || order === '|' || ((order === '=' || order === '') && endianness() === 'LE'),
  };
}

/** Maps C-order index i to the column-major element numpy stored for fortran_order arrays. */
function fortranToC(shape: number[], read: (i: number) => number): (i: number) => number {
  const strides: number[] = [];
  let stride = 1;
  for (const dim of shape) {
    strides.push(stride);
    stride *= dim;
  }
  return (i) => {
    let rest = i;
    let offset = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const q = Math.floor(rest / shape[d]);
      offset += (rest - q * shape[d]) * strides[d];
      rest = q;
    }
    return read(offset);
  };
}

/** The first bytes of a file in hex, for "expected X, found Y" messages. */
export function describeStart(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty file';
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
