/**
 * The computation graph of an ONNX model read from its protobuf: nodes with their
 * attributes, initializers with their values, the opset, and the declared inputs and
 * outputs. What the converter to TF.js Layers (onnx-to-layers.ts) walks.
 * Field numbers from onnx.proto: ModelProto.opset_import = 8, graph = 7;
 * OperatorSetIdProto.domain = 1, version = 2; GraphProto.node = 1, initializer = 5;
 * NodeProto.input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7;
 * AttributeProto.name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7, ints = 8;
 * TensorProto.dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7,
 * name = 8, raw_data = 9, double_data = 10, data_location = 14.
 */
import { InputError } from '../../errors';
import { fields, Malformed, onnxGraphIo, type Field, type OnnxValueInfo } from './onnx-protobuf';

/** TensorProto.DataType values we read. */
const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const DOUBLE = 11;

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** Values of a float or double tensor, as float32. */
  floats?: Float32Array;
  /** Values of an integer tensor (shapes, axes: well inside 2^53). */
  ints?: number[];
}

export type OnnxAttribute = number | string | number[] | OnnxTensor;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

export interface OnnxGraph {
  file: string;
  /** Version of the default ("" / "ai.onnx") operator set. */
  opset: number;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

const decoder = new TextDecoder();

export function readOnnxGraph(bytes: Uint8Array, file: string): OnnxGraph {
  const { inputs, outputs } = onnxGraphIo(bytes, file);
  try {
    const top = fields(bytes, 0, bytes.length);
    const graph = top.find((f) => f.number === 7 && f.wireType === 2);
    if (!graph) throw new Malformed(0, 'no graph (ModelProto field 7) found');
    let opset = 0;
    for (const f of top) {
      if (f.number !== 8 || f.wireType !== 2) continue;
      let domain = '';
      let version = 0;
      for (const g of fields(bytes, f.start!, f.end!)) {
        if (g.number === 1 && g.wireType === 2) domain = text(bytes, g);
        else if (g.number === 2 && g.wireType === 0) version = g.value!;
      }
      if (domain === '' || domain === 'ai.onnx') opset = version;
    }
    const nodes: OnnxNode[] = [];
    const initializers = new Map<string, OnnxTensor>();
    for (const f of fields(bytes, graph.start!, graph.end!)) {
      if (f.wireType !== 2) continue;
      if (f.number === 1) nodes.push(node(bytes, f, file, nodes.length));
      else if (f.number === 5) {
        const t = tensor(bytes, f, file);
        initializers.set(t.name, t);
      }
    }
    return { file, opset, nodes, initializers, inputs, outputs };
  } catch (e) {
    if (e instanceof Malformed) {
      throw new InputError(`not a valid ONNX model (protobuf ModelProto) at byte offset ${e.offset}: ${e.message}`, { file, field: `offset ${e.offset}` });
    }
    throw e;
  }
}

function text(bytes: Uint8Array, f: Field): string {
  return decoder.decode(bytes.subarray(f.start!, f.end!));
}

function node(bytes: Uint8Array, message: Field, file: string, index: number): OnnxNode {
  const out: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const f of fields(bytes, message.start!, message.end!)) {
    if (f.wireType !== 2) continue;
    if (f.number === 1) out.inputs.push(text(bytes, f));
    else if (f.number === 2) out.outputs.push(text(bytes, f));
    else if (f.number === 3) out.name = text(bytes, f);
    else if (f.number === 4) out.opType = text(bytes, f);
    else if (f.number === 7) out.domain = text(bytes, f);
    else if (f.number === 5) {
      const [name, value] = attribute(bytes, f, file);
      if (value !== undefined) out.attributes.set(name, value);
    }
  }
  if (out.name === '') out.name = `${out.opType}_${index}`;
  return out;
}

function attribute(bytes: Uint8Array, message: Field, file: string): [string, OnnxAttribute | undefined] {
  let name = '';
  let value: OnnxAttribute | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  let hasList = false;
  for (const f of fields(bytes, message.start!, message.end!)) {
    if (f.number === 1 && f.wireType === 2) name = text(bytes, f);
    else if (f.number === 2 && f.wireType === 5) value = view(bytes, f).getFloat32(0, true);
    else if (f.number === 3 && f.wireType === 0) value = int64At(bytes, f.start!).value;
    else if (f.number === 4 && f.wireType === 2) value = text(bytes, f);
    else if (f.number === 5 && f.wireType === 2) value = tensor(bytes, f, file);
    else if (f.number === 7) {
      hasList = true;
      floats.push(...(f.wireType === 5 ? [view(bytes, f).getFloat32(0, true)] : packedFloat32(bytes, f)));
    } else if (f.number === 8) {
      hasList = true;
      ints.push(...(f.wireType === 0 ? [int64At(bytes, f.start!).value] : packedInt64(bytes, f)));
    }
  }
  if (value === undefined && hasList) value = floats.length > 0 ? floats : ints;
  return [name, value];
}

function view(bytes: Uint8Array, f: Field): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset + f.start!, f.end! - f.start!);
}

/** A varint read as a two's-complement int64 (protobuf writes -1 as ten bytes). */
function int64At(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let v = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= bytes.length) throw new Malformed(pos, 'a varint runs past the end of the data');
    const b = bytes[pos + i];
    v |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) return { value: Number(BigInt.asIntN(64, v)), next: pos + i + 1 };
  }
  throw new Malformed(pos, 'a varint is longer than 10 bytes');
}

function packedInt64(bytes: Uint8Array, f: Field): number[] {
  const out: number[] = [];
  for (let p = f.start!; p < f.end!;) {
    const v = int64At(bytes, p);
    out.push(v.value);
    p = v.next;
  }
  return out;
}

function packedFloat32(bytes: Uint8Array, f: Field): number[] {
  const v = view(bytes, f);
  return Array.from({ length: v.byteLength >> 2 }, (_, i) => v.getFloat32(4 * i, true));
}

function tensor(bytes: Uint8Array, message: Field, file: string): OnnxTensor {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let raw: Field | undefined;
  const floatData: number[] = [];
  const intData: number[] = [];
  let external = false;
  for (const f of fields(bytes, message.start!, message.end!)) {
    if (f.number === 1) dims.push(...(f.wireType === 0 ? [int64At(bytes, f.start!).value] : packedInt64(bytes, f)));
    else if (f.number === 2 && f.wireType === 0) dataType = f.value!;
    else if (f.number === 8 && f.wireType === 2) name = text(bytes, f);
    else if (f.number === 9 && f.wireType === 2) raw = f;
    else if (f.number === 4) floatData.push(...(f.wireType === 5 ? [view(bytes, f).getFloat32(0, true)] : packedFloat32(bytes, f)));
    else if (f.number === 10) {
      const v = view(bytes, f);
      for (let i = 0; i + 8 <= v.byteLength; i += 8) floatData.push(v.getFloat64(i, true));
    } else if (f.number === 5 || f.number === 7) intData.push(...(f.wireType === 0 ? [int64At(bytes, f.start!).value] : packedInt64(bytes, f)));
    else if (f.number === 14 && f.wireType === 0 && f.value === 1) external = true;
  }
  if (external) {
    throw new InputError(`tensor "${name}" keeps its data in an external file, which is not read; export the model with its weights inside the .onnx file`, { file, field: `initializer ${name}` });
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const out: OnnxTensor = { name, dims };
  if (dataType === FLOAT || dataType === DOUBLE) {
    if (raw) {
      const v = view(bytes, raw);
      const size = dataType === FLOAT ? 4 : 8;
      out.floats = new Float32Array(v.byteLength / size);
      for (let i = 0; i < out.floats.length; i++) out.floats[i] = size === 4 ? v.getFloat32(4 * i, true) : v.getFloat64(8 * i, true);
    } else out.floats = Float32Array.from(floatData);
    if (out.floats.length !== count) throw lengthError(name, out.floats.length, dims, file);
  } else if (dataType === INT64 || dataType === INT32) {
    if (raw) {
      const v = view(bytes, raw);
      const size = dataType === INT64 ? 8 : 4;
      out.ints = Array.from({ length: v.byteLength / size }, (_, i) => (size === 8 ? Number(v.getBigInt64(8 * i, true)) : v.getInt32(4 * i, true)));
    } else out.ints = intData;
    if (out.ints.length !== count) throw lengthError(name, out.ints.length, dims, file);
  }
  return out;
}

function lengthError(name: string, found: number, dims: number[], file: string): InputError {
  return new InputError(`tensor "${name}" holds ${found} values but its dims [${dims.join(', ')}] need ${dims.reduce((a, b) => a * b, 1)}`, { file, field: `initializer ${name}` });
}
