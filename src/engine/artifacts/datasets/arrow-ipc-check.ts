import { InputError } from '../../errors';

/**
 * Bounds checks of an Arrow IPC file or stream's flatbuffer metadata, run before
 * apache-arrow sees the bytes. apache-arrow trusts the counts it reads: a corrupt vector
 * length (fields, record batch nodes, footer blocks) makes it loop billions of times, which
 * hangs the process. Here every table, vector and message must lie inside the bytes, so
 * every loop apache-arrow then runs is bounded by the file's size.
 * Layouts: format/File.fbs, Message.fbs and Schema.fbs of the Arrow specification.
 */
export function checkArrowIpc(bytes: Uint8Array, file: string, isFile: boolean): void {
  const fb = new FlatBuffers(bytes, file);
  if (!isFile) {
    checkStream(fb, 0);
    return;
  }
  // File: "ARROW1" + 2 padding bytes, the stream, the footer, its int32 length, "ARROW1".
  if (bytes.length < 8 + 10) fail(file, `a ${bytes.length}-byte file is too short for an Arrow IPC file`);
  const footerLength = fb.int32(bytes.length - 10);
  const footerStart = bytes.length - 10 - footerLength;
  if (footerLength <= 0 || footerStart < 8) fail(file, `footer length ${footerLength} does not fit in the ${bytes.length}-byte file`);
  const footer = fb.root(footerStart, footerLength);
  const schema = fb.table(footer, 1);
  if (schema !== undefined) checkSchema(fb, schema);
  for (const field of [2, 3]) {
    // Blocks: struct { offset: long; metaDataLength: int; (pad); bodyLength: long } = 24 bytes.
    const blocks = fb.vector(footer, field, 24);
    for (let i = 0; blocks && i < blocks.length; i++) {
      const at = blocks.start + 24 * i;
      const offset = fb.int64(at);
      const metaLength = fb.int32(at + 8);
      const bodyLength = fb.int64(at + 16);
      if (offset < 8 || metaLength < 0 || bodyLength < 0 || offset + metaLength + bodyLength > footerStart) {
        fail(file, `footer block ${i} (offset ${offset}, ${metaLength} + ${bodyLength} bytes) lies outside the record batch data`);
      }
      checkMessageAt(fb, offset, footerStart);
    }
  }
}

/** Sequential messages up to the end-of-stream marker or the end of the bytes. */
function checkStream(fb: FlatBuffers, start: number): void {
  let at = start;
  while (at + 4 <= fb.bytes.length) {
    const next = checkMessageAt(fb, at, fb.bytes.length);
    if (next === undefined) return;
    at = next;
  }
}

/** Checks the message framed at `at`; returns where the next one starts, undefined at end-of-stream. */
function checkMessageAt(fb: FlatBuffers, at: number, end: number): number | undefined {
  let length = fb.int32(at);
  let metaStart = at + 4;
  if (length === -1) {
    // Continuation marker, then the metadata length (format 0.15 and later).
    length = at + 8 <= end ? fb.int32(at + 4) : 0;
    metaStart = at + 8;
  }
  if (length === 0) return undefined;
  if (length < 0 || metaStart + length > end) fail(fb.file, `message at byte ${at} declares ${length} bytes of metadata, past the end at ${end}`);
  const message = fb.root(metaStart, length);
  const bodyLength = fb.int64Field(message, 3);
  if (bodyLength < 0 || metaStart + length + bodyLength > end) fail(fb.file, `message at byte ${at} declares a ${bodyLength}-byte body, past the end at ${end}`);
  const headerType = fb.uint8Field(message, 1);
  const header = fb.table(message, 2);
  if (header !== undefined) {
    if (headerType === 1) checkSchema(fb, header);
    else if (headerType === 3) checkRecordBatch(fb, header);
    else if (headerType === 2) {
      const data = fb.table(header, 1);
      if (data !== undefined) checkRecordBatch(fb, data);
    }
  }
  return metaStart + length + bodyLength;
}

function checkSchema(fb: FlatBuffers, schema: number): void {
  fb.tables(schema, 1, (field) => checkField(fb, field, 0));
  fb.tables(schema, 2, (kv) => checkKeyValue(fb, kv)); // custom_metadata
  fb.vector(schema, 3, 8); // features: [long]
}

function checkField(fb: FlatBuffers, field: number, depth: number): void {
  if (depth > 64) fail(fb.file, 'schema nests fields more than 64 levels deep');
  fb.string(field, 0);
  fb.table(field, 3); // type
  const dictionary = fb.table(field, 4);
  if (dictionary !== undefined) fb.table(dictionary, 1); // indexType
  fb.tables(field, 5, (child) => checkField(fb, child, depth + 1));
  fb.tables(field, 6, (kv) => checkKeyValue(fb, kv));
}

function checkKeyValue(fb: FlatBuffers, kv: number): void {
  fb.string(kv, 0);
  fb.string(kv, 1);
}

function checkRecordBatch(fb: FlatBuffers, batch: number): void {
  fb.vector(batch, 1, 16); // nodes: struct FieldNode { length: long; null_count: long }
  fb.vector(batch, 2, 16); // buffers: struct Buffer { offset: long; length: long }
  fb.table(batch, 3); // compression
  fb.vector(batch, 4, 8); // variadicBufferCounts: [long]
}

/** Little-endian flatbuffer reads where every position is checked against the bytes. */
class FlatBuffers {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, readonly file: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(at: number, size: number, what: string): void {
    if (!(at >= 0 && at + size <= this.bytes.length)) fail(this.file, `${what} at byte ${at} lies outside the ${this.bytes.length}-byte file`);
  }

  int32(at: number): number {
    this.need(at, 4, 'a 32-bit value');
    return this.view.getInt32(at, true);
  }

  int64(at: number): number {
    this.need(at, 8, 'a 64-bit value');
    return Number(this.view.getBigInt64(at, true));
  }

  /** The root table of a flatbuffer occupying [start, start + length). */
  root(start: number, length: number): number {
    this.need(start, 4, 'a flatbuffer root');
    return this.checkTable(start + this.view.getUint32(start, true), start + length);
  }

  private checkTable(table: number, end = this.bytes.length): number {
    this.need(table, 4, 'a flatbuffer table');
    if (table >= end) fail(this.file, `flatbuffer table at byte ${table} lies past its message end ${end}`);
    const vtable = table - this.view.getInt32(table, true);
    this.need(vtable, 4, 'a flatbuffer vtable');
    const vtableSize = this.view.getUint16(vtable, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0) fail(this.file, `flatbuffer vtable at byte ${vtable} has an invalid size ${vtableSize}`);
    this.need(vtable, vtableSize, 'a flatbuffer vtable');
    this.need(table, this.view.getUint16(vtable + 2, true), 'a flatbuffer table');
    return table;
  }

  /** Absolute position of field `index` of a table, or undefined when absent. */
  private field(table: number, index: number): number | undefined {
    const vtable = table - this.view.getInt32(table, true);
    const slot = 4 + 2 * index;
    if (slot >= this.view.getUint16(vtable, true)) return undefined;
    const offset = this.view.getUint16(vtable + slot, true);
    return offset === 0 ? undefined : table + offset;
  }

  private target(table: number, index: number): number | undefined {
    const at = this.field(table, index);
    if (at === undefined) return undefined;
    this.need(at, 4, 'a flatbuffer offset');
    return at + this.view.getUint32(at, true);
  }

  table(table: number, index: number): number | undefined {
    const at = this.target(table, index);
    return at === undefined ? undefined : this.checkTable(at);
  }

  vector(table: number, index: number, elementSize: number): { start: number; length: number } | undefined {
    const at = this.target(table, index);
    if (at === undefined) return undefined;
    this.need(at, 4, 'a flatbuffer vector length');
    const length = this.view.getUint32(at, true);
    this.need(at + 4, length * elementSize, `a vector of ${length} elements`);
    return { start: at + 4, length };
  }

  /** Calls `check` on each table of a vector of tables. */
  tables(table: number, index: number, check: (table: number) => void): void {
    const vector = this.vector(table, index, 4);
    for (let i = 0; vector && i < vector.length; i++) {
      const at = vector.start + 4 * i;
      check(this.checkTable(at + this.view.getUint32(at, true)));
    }
  }

  string(table: number, index: number): void {
    this.vector(table, index, 1);
  }

  uint8Field(table: number, index: number): number {
    const at = this.field(table, index);
    if (at === undefined) return 0;
    this.need(at, 1, 'a flatbuffer byte');
    return this.view.getUint8(at);
  }

  int64Field(table: number, index: number): number {
    const at = this.field(table, index);
    return at === undefined ? 0 : this.int64(at);
  }
}

function fail(file: string, message: string): never {
  throw new InputError(`corrupt Arrow IPC metadata: ${message}`, { file });
}
