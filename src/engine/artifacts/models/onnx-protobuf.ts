/**
 * Just enough protobuf to check that bytes are an ONNX ModelProto and to count the
 * parameters its graph initializers hold (onnxruntime does not expose initializers).
 * Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.initializer = 5,
 * sparse_initializer = 15; TensorProto.dims = 1; SparseTensorProto.dims = 3.
 */
import { InputError } from '../../errors';

interface Field {
  number: number;
  wireType: number;
  /** Varint value (wire type 0). */
  value?: number;
  /** Payload bounds (wire type 2). */
  start?: number;
  end?: number;
  offset: number;
}

class Malformed extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

function readVarint(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= bytes.length) throw new Malformed(pos, 'a varint runs past the end of the data');
    const b = bytes[pos + i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  throw new Malformed(pos, 'a varint is longer than 10 bytes');
}

/** The fields of one message in bytes[start, end), checked against the bounds. */
function fields(bytes: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const offset = pos;
    const tag = readVarint(bytes, pos);
    pos = tag.next;
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (number === 0) throw new Malformed(offset, 'field number 0 is not valid protobuf');
    switch (wireType) {
      case 0: {
        const v = readVarint(bytes, pos);
        out.push({ number, wireType, value: v.value, offset });
        pos = v.next;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 2: {
        const len = readVarint(bytes, pos);
        if (len.next + len.value > end) throw new Malformed(offset, `field ${number} declares ${len.value} bytes past the end of its message`);
        out.push({ number, wireType, start: len.next, end: len.next + len.value, offset });
        pos = len.next + len.value;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new Malformed(offset, `wire type ${wireType} is not valid protobuf`);
    }
    if (pos > end) throw new Malformed(offset, `field ${number} runs past the end of its message`);
  }
  return out;
}

/** Product of a tensor's dims (repeated int64, packed or not). */
function elementCount(bytes: Uint8Array, tensor: Field, dimsField: number): number {
  const dims: number[] = [];
  for (const f of fields(bytes, tensor.start!, tensor.end!)) {
    if (f.number !== dimsField) continue;
    if (f.wireType === 0) dims.push(f.value!);
    else if (f.wireType === 2) {
      for (let p = f.start!; p < f.end!;) {
        const v = readVarint(bytes, p);
        dims.push(v.value);
        p = v.next;
      }
    }
  }
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * Validates the ModelProto framing and returns the number of values in its graph's
 * initializers; an InputError names the byte offset where the structure breaks.
 */
export function onnxParameterCount(bytes: Uint8Array, file: string): number {
  try {
    const top = fields(bytes, 0, bytes.length);
    const graph = top.find((f) => f.number === 7 && f.wireType === 2);
    if (!graph) throw new Malformed(0, 'no graph (ModelProto field 7) found');
    let count = 0;
    for (const f of fields(bytes, graph.start!, graph.end!)) {
      if (f.wireType !== 2) continue;
      if (f.number === 5) count += elementCount(bytes, f, 1);
      else if (f.number === 15) count += sparseValues(bytes, f);
    }
    return count;
  } catch (e) {
    if (e instanceof Malformed) {
      throw new InputError(`not a valid ONNX model (protobuf ModelProto) at byte offset ${e.offset}: ${e.message}`, { file, field: `offset ${e.offset}` });
    }
    throw e;
  }
}

/** A sparse initializer holds as many parameters as its values tensor (field 1). */
function sparseValues(bytes: Uint8Array, sparse: Field): number {
  const values = fields(bytes, sparse.start!, sparse.end!).find((f) => f.number === 1 && f.wireType === 2);
  return values ? elementCount(bytes, values, 1) : 0;
}
