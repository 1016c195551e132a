/**
 * Small writers of every dataset format for the property tests, written from the format
 * specifications and independent of the readers under test (Arrow excepted: its IPC
 * writer comes from apache-arrow, whose reader our code only drives).
 */
import * as zlib from 'node:zlib';

/** Delimited text with a header row; values are written as given. */
export function delimitedText(header: string[], rows: string[][], delimiter: string, eol = '\n'): string {
  return [header, ...rows].map((r) => r.join(delimiter)).join(eol) + eol;
}

export interface NpyDtype {
  /** e.g. '<f4', '>i2', '|u1' */
  descr: string;
  kind: 'f' | 'i' | 'u' | 'b';
  size: 1 | 2 | 4 | 8;
  littleEndian: boolean;
}

export const NPY_DTYPES: NpyDtype[] = [
  { descr: '<f4', kind: 'f', size: 4, littleEndian: true },
  { descr: '>f4', kind: 'f', size: 4, littleEndian: false },
  { descr: '<f8', kind: 'f', size: 8, littleEndian: true },
  { descr: '>f8', kind: 'f', size: 8, littleEndian: false },
  { descr: '|u1', kind: 'u', size: 1, littleEndian: true },
  { descr: '|i1', kind: 'i', size: 1, littleEndian: true },
  { descr: '<i2', kind: 'i', size: 2, littleEndian: true },
  { descr: '>u2', kind: 'u', size: 2, littleEndian: false },
  { descr: '<i4', kind: 'i', size: 4, littleEndian: true },
  { descr: '<i8', kind: 'i', size: 8, littleEndian: true },
  { descr: '|b1', kind: 'b', size: 1, littleEndian: true },
];

/** Packs numbers as the dtype stores them (values must already fit it). */
export function packValues(values: number[], dtype: Pick<NpyDtype, 'kind' | 'size' | 'littleEndian'>): Uint8Array {
  const out = new Uint8Array(values.length * dtype.size);
  const view = new DataView(out.buffer);
  const le = dtype.littleEndian;
  values.forEach((v, i) => {
    const at = i * dtype.size;
    switch (`${dtype.kind}${dtype.size}`) {
      case 'f4': view.setFloat32(at, v, le); break;
      case 'f8': view.setFloat64(at, v, le); break;
      case 'u1': case 'b1': view.setUint8(at, v); break;
      case 'i1': view.setInt8(at, v); break;
      case 'u2': view.setUint16(at, v, le); break;
      case 'i2': view.setInt16(at, v, le); break;
      case 'u4': view.setUint32(at, v, le); break;
      case 'i4': view.setInt32(at, v, le); break;
      case 'i8': view.setBigInt64(at, BigInt(v), le); break;
      default: throw new Error(`no packer for ${dtype.kind}${dtype.size}`);
    }
  });
  return out;
}

/** NPY version 1.0; `fortran` stores the values column-major (values are given in C order). */
export function npyBytes(shape: number[], dtype: NpyDtype, values: number[], fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype.descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const stored = fortran ? toFortranOrder(shape, values) : values;
  return concat([Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]), Buffer.from(header, 'latin1'), packValues(stored, dtype)]);
}

function toFortranOrder(shape: number[], values: number[]): number[] {
  const out = new Array<number>(values.length);
  values.forEach((v, i) => {
    // C-order index -> multi-index -> column-major offset.
    let rest = i;
    let offset = 0;
    let stride = 1;
    const index = new Array<number>(shape.length);
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d] = rest % shape[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    for (let d = 0; d < shape.length; d++) {
      offset += index[d]! * stride;
      stride *= shape[d]!;
    }
    out[offset] = v;
  });
  return out;
}

/** A zip archive with stored (uncompressed) members, per APPNOTE 4.3. */
export function storedZip(members: { name: string; data: Uint8Array }[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const crc = zlib.crc32(m.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(m.data.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(m.data.length, 20);
    central.writeUInt32LE(m.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, m.data);
    centrals.push(central, name);
    offset += 30 + name.length + m.data.length;
  }
  const centralSize = centrals.reduce((a, b) => a + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return concat([...locals, ...centrals, end]);
}

export const IDX_TYPES = [
  { code: 0x08, kind: 'u', size: 1 },
  { code: 0x09, kind: 'i', size: 1 },
  { code: 0x0b, kind: 'i', size: 2 },
  { code: 0x0c, kind: 'i', size: 4 },
  { code: 0x0d, kind: 'f', size: 4 },
  { code: 0x0e, kind: 'f', size: 8 },
] as const;

/** IDX: 00 00 <type> <ndims>, big-endian u32 dims, big-endian values. */
export function idxBytes(type: (typeof IDX_TYPES)[number], shape: number[], values: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = type.code;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return concat([header, packValues(values, { kind: type.kind, size: type.size, littleEndian: false })]);
}

/** PNG of 8-bit samples, colour type 0 (gray), 2 (RGB), 4 (gray + alpha) or 6 (RGBA), filter 0 on every row. */
export function pngBytes(width: number, height: number, colorType: 0 | 2 | 4 | 6, samples: Uint8Array): Uint8Array {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  const raw = Buffer.alloc(height * (1 + width * channels));
  for (let y = 0; y < height; y++) raw.set(samples.subarray(y * width * channels, (y + 1) * width * channels), y * (1 + width * channels) + 1);
  const chunk = (type: string, data: Uint8Array) => {
    const body = concat([Buffer.from(type, 'latin1'), data]);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  return concat([Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

// ---- Parquet: Thrift compact protocol footer, PLAIN v1 data pages, REQUIRED columns only.

class Thrift {
  private readonly out: number[] = [];
  private last = 0;
  private header(id: number, type: number) {
    this.out.push(((id - this.last) << 4) | type);
    this.last = id;
  }
  private varint(n: bigint) {
    for (;;) {
      const b = Number(n & 0x7fn);
      n >>= 7n;
      if (n === 0n) { this.out.push(b); return; }
      this.out.push(b | 0x80);
    }
  }
  private zigzag(n: number | bigint) {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }
  i32(id: number, v: number): this { this.header(id, 5); this.zigzag(v); return this; }
  i64(id: number, v: number | bigint): this { this.header(id, 6); this.zigzag(v); return this; }
  string(id: number, s: string): this {
    this.header(id, 8);
    const bytes = Buffer.from(s, 'utf8');
    this.varint(BigInt(bytes.length));
    this.out.push(...bytes);
    return this;
  }
  struct(id: number, s: Thrift): this { this.header(id, 12); this.out.push(...s.bytes()); return this; }
  list(id: number, elementType: 5 | 8 | 12, items: (number | string | Thrift)[]): this {
    this.header(id, 9);
    if (items.length < 15) this.out.push((items.length << 4) | elementType);
    else { this.out.push(0xf0 | elementType); this.varint(BigInt(items.length)); }
    for (const item of items) {
      if (item instanceof Thrift) this.out.push(...item.bytes());
      else if (typeof item === 'number') this.zigzag(item);
      else { const b = Buffer.from(item, 'utf8'); this.varint(BigInt(b.length)); this.out.push(...b); }
    }
    return this;
  }
  bytes(): number[] { return [...this.out, 0]; }
}

export interface ParquetColumn {
  name: string;
  type: 'DOUBLE' | 'FLOAT' | 'INT32' | 'INT64' | 'UTF8';
  values: (number | string)[];
}

const PARQUET_TYPES = { DOUBLE: 5, FLOAT: 4, INT32: 1, INT64: 2, UTF8: 6 } as const;

function parquetPlain(column: ParquetColumn): Uint8Array {
  if (column.type === 'UTF8') {
    return concat(column.values.map((v) => {
      const b = Buffer.from(String(v), 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      return concat([len, b]);
    }));
  }
  const dtype = { DOUBLE: { kind: 'f', size: 8 }, FLOAT: { kind: 'f', size: 4 }, INT32: { kind: 'i', size: 4 }, INT64: { kind: 'i', size: 8 } }[column.type];
  return packValues(column.values as number[], { ...(dtype as { kind: 'f' | 'i'; size: 4 | 8 }), littleEndian: true });
}

/** One row group, one uncompressed PLAIN data page per column, all columns REQUIRED. */
export function parquetBytes(columns: ParquetColumn[], rows: number): Uint8Array {
  const parts: Uint8Array[] = [Buffer.from('PAR1')];
  let offset = 4;
  const chunks: Thrift[] = [];
  for (const column of columns) {
    const page = parquetPlain(column);
    const header = Uint8Array.from(new Thrift().i32(1, 0).i32(2, page.length).i32(3, page.length)
      .struct(5, new Thrift().i32(1, column.values.length).i32(2, 0).i32(3, 3).i32(4, 3)).bytes());
    const meta = new Thrift().i32(1, PARQUET_TYPES[column.type]).list(2, 5, [0, 3]).list(3, 8, [column.name]).i32(4, 0)
      .i64(5, column.values.length).i64(6, header.length + page.length).i64(7, header.length + page.length).i64(9, offset);
    chunks.push(new Thrift().i64(2, offset).struct(3, meta));
    parts.push(header, page);
    offset += header.length + page.length;
  }
  const schema = [new Thrift().i32(3, 0).string(4, 'schema').i32(5, columns.length)];
  for (const c of columns) {
    const element = new Thrift().i32(1, PARQUET_TYPES[c.type]).i32(3, 0).string(4, c.name);
    if (c.type === 'UTF8') element.i32(6, 0);
    schema.push(element);
  }
  const rowGroup = new Thrift().list(1, 12, chunks).i64(2, offset - 4).i64(3, rows);
  const footer = Uint8Array.from(new Thrift().i32(1, 1).list(2, 12, schema).i64(3, rows).list(4, 12, [rowGroup]).bytes());
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length);
  parts.push(footer, length, Buffer.from('PAR1'));
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
