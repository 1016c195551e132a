/**
 * Just enough protobuf to check that bytes are an ONNX ModelProto, to count the
 * parameters its graph initializers hold (onnxruntime does not expose initializers) and
 * to read the declared shapes of its inputs and outputs without running it.
 * Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.initializer = 5,
 * input = 11, output = 12, sparse_initializer = 15; TensorProto.dims = 1, name = 8;
 * SparseTensorProto.values = 1, dims = 3; ValueInfoProto.name = 1, type = 2;
 * TypeProto.tensor_type = 1; TypeProto.Tensor.elem_type = 1, shape = 2;
 * TensorShapeProto.dim = 1; Dimension.dim_value = 1, dim_param = 2.
 */
import { InputError } from '../../errors';

export interface Field {
  number: number;
  wireType: number;
  /** Varint value (wire type 0); exact only below 2^53 (see onnx-graph.ts for int64). */
  value?: number;
  /** Payload bounds (wire types 2, 1 and 5; the varint's first byte for wire type 0). */
  start?: number;
  end?: number;
  offset: number;
}

export class Malformed extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

export function readVarint(bytes: Uint8Array, pos: number): { value: number; next: number } {
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
export function fields(bytes: Uint8Array, start: number, end: number): Field[] {
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
        out.push({ number, wireType, value: v.value, start: pos, offset });
        pos = v.next;
        break;
      }
      case 1:
        out.push({ number, wireType, start: pos, end: pos + 8, offset });
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
        out.push({ number, wireType, start: pos, end: pos + 4, offset });
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

/** One graph input or output as declared: each dim a size, a symbolic name, or null when unset. */
export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType (1 = float, 11 = double); undefined for a non-tensor value. */
  elemType?: number;
  /** Undefined when the shape (even its rank) is not declared. */
  dims?: (number | string | null)[];
}

/**
 * The graph's declared inputs (initializers listed as inputs, as IR < 4 files do, left
 * out) and outputs, read from the protobuf alone; an InputError names the byte offset
 * where the structure breaks.
 */
export function onnxGraphIo(bytes: Uint8Array, file: string): { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] } {
  try {
    const graph = fields(bytes, 0, bytes.length).find((f) => f.number === 7 && f.wireType === 2);
    if (!graph) throw new Malformed(0, 'no graph (ModelProto field 7) found');
    const initializers = new Set<string>();
    const inputs: OnnxValueInfo[] = [];
    const outputs: OnnxValueInfo[] = [];
    for (const f of fields(bytes, graph.start!, graph.end!)) {
      if (f.wireType !== 2) continue;
      if (f.number === 5) initializers.add(stringField(bytes, f, 8));
      else if (f.number === 15) {
        const values = fields(bytes, f.start!, f.end!).find((v) => v.number === 1 && v.wireType === 2);
        if (values) initializers.add(stringField(bytes, values, 8));
      } else if (f.number === 11) inputs.push(valueInfo(bytes, f));
      else if (f.number === 12) outputs.push(valueInfo(bytes, f));
    }
    return { inputs: inputs.filter((i) => !initializers.has(i.name)), outputs };
  } catch (e) {
    if (e instanceof Malformed) {
      throw new InputError(`not a valid ONNX model (protobuf ModelProto) at byte offset ${e.offset}: ${e.message}`, { file, field: `offset ${e.offset}` });
    }
    throw e;
  }
}

/** The last occurrence of a string field (protobuf's rule for repeated scalars), or ''. */
function stringField(bytes: Uint8Array, message: Field, number: number): string {
  let value = '';
  for (const f of fields(bytes, message.start!, message.end!)) {
    if (f.number === number && f.wireType === 2) value = new TextDecoder().decode(bytes.subarray(f.start!, f.end!));
  }
  return value;
}

function valueInfo(bytes: Uint8Array, info: Field): OnnxValueInfo {
  const name = stringField(bytes, info, 1);
  const type = fields(bytes, info.start!, info.end!).find((f) => f.number === 2 && f.wireType === 2);
  const tensor = type && fields(bytes, type.start!, type.end!).find((f) => f.number === 1 && f.wireType === 2);
  if (!tensor) return { name };
  let elemType: number | undefined;
  let dims: (number | string | null)[] | undefined;
  for (const f of fields(bytes, tensor.start!, tensor.end!)) {
    if (f.number === 1 && f.wireType === 0) elemType = f.value;
    else if (f.number === 2 && f.wireType === 2) {
      dims = fields(bytes, f.start!, f.end!).filter((d) => d.number === 1 && d.wireType === 2).map((d) => dimension(bytes, d));
    }
  }
  return { name, elemType, dims };
}

function dimension(bytes: Uint8Array, dim: Field): number | string | null {
  let size: number | string | null = null;
  for (const f of fields(bytes, dim.start!, dim.end!)) {
    // A negative int64 arrives as a 10-byte varint far above 2^53: not a usable size.
    if (f.number === 1 && f.wireType === 0) size = Number.isSafeInteger(f.value) ? f.value! : null;
    else if (f.number === 2 && f.wireType === 2) size = new TextDecoder().decode(bytes.subarray(f.start!, f.end!));
  }
  return size;
}
