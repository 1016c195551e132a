/**
 * The input shape and class count a black-box model (ONNX, TF.js graph model) declares in
 * its file, read without running it: what a default shadow architecture is built from.
 * The rules match the loaders (onnx-model.ts, tfjs-graph-model.ts): one float input of
 * shape [batch, features...] where only the batch dimension may be free, and a first
 * output of shape [batch, classes] (1 unit = a binary sigmoid, so 2 classes).
 */
import { InputError } from '../../errors';
import { readCapped } from './read-capped';
import { MAX_ONNX_BYTES } from './onnx-model';
import { onnxGraphIo } from './onnx-protobuf';

export interface DeclaredShape {
  /** Shape of one record (the input shape without its batch dimension). */
  inputShape: number[];
  numClasses: number;
}

/** TensorProto.DataType FLOAT and DOUBLE: the inputs the ONNX loader feeds. */
const ONNX_FLOAT_TYPES = new Set([1, 11]);

export function onnxDeclaredShape(file: string): DeclaredShape {
  const bytes = readCapped(file, MAX_ONNX_BYTES, 'ONNX');
  const { inputs, outputs } = onnxGraphIo(bytes, file);
  if (inputs.length !== 1) {
    throw new InputError(`expected a model with one input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`, { file, field: 'graph.input' });
  }
  const input = inputs[0];
  if (input.elemType === undefined || !ONNX_FLOAT_TYPES.has(input.elemType)) {
    throw new InputError(`input "${input.name}" must be a float or double tensor, found ${input.elemType === undefined ? 'a non-tensor value' : `ONNX data type ${input.elemType}`}`, { file, field: 'graph.input[0]' });
  }
  const inputShape = featureShape(input.name, input.dims, file, 'graph.input[0]');
  if (outputs.length < 1) throw new InputError('the graph declares no output', { file, field: 'graph.output' });
  return { inputShape, numClasses: classCount(outputs[0].name, outputs[0].dims, file, 'graph.output[0]') };
}

/** From a parsed graph-model model.json: its signature, else its Placeholder nodes. */
export function graphModelDeclaredShape(json: Record<string, unknown>, file: string): DeclaredShape {
  const signature = isObject(json.signature) ? json.signature : {};
  let inputs = isObject(signature.inputs) ? Object.values(signature.inputs).map((t) => tensorInfo(t)) : [];
  if (inputs.length === 0) {
    const nodes = isObject(json.modelTopology) && Array.isArray(json.modelTopology.node) ? json.modelTopology.node : [];
    inputs = nodes.filter((n): n is Record<string, unknown> => isObject(n) && n.op === 'Placeholder').map((n) => {
      const attr = isObject(n.attr) ? n.attr : {};
      const shape = isObject(attr.shape) ? attr.shape.shape : undefined;
      return { name: String(n.name), dims: dimsOf(shape) };
    });
  }
  if (inputs.length !== 1) {
    throw new InputError(`expected a graph with one input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`, { file, field: 'signature.inputs' });
  }
  const inputShape = featureShape(inputs[0].name, inputs[0].dims, file, 'signature.inputs');
  const outputs = isObject(signature.outputs) ? Object.values(signature.outputs).map((t) => tensorInfo(t)) : [];
  if (outputs.length === 0) {
    throw new InputError(
      'the graph model\'s signature declares no outputs, so its number of classes is unknown without running it and no default shadow architecture can be chosen: set "shadow": {"architecture": "<path of a Keras .h5/.keras or TF.js Layers model.json>"} in the audit',
      { file, field: 'signature.outputs' },
    );
  }
  return { inputShape, numClasses: classCount(outputs[0].name, outputs[0].dims, file, 'signature.outputs') };
}

function tensorInfo(t: unknown): { name: string; dims?: (number | string | null)[] } {
  const info = isObject(t) ? t : {};
  return { name: String(info.name ?? '?'), dims: dimsOf(info.tensorShape) };
}

/** TensorShapeProto in JSON: sizes arrive as strings ("-1" = unknown); undefined for unknown rank. */
function dimsOf(shape: unknown): (number | null)[] | undefined {
  if (!isObject(shape) || shape.unknownRank === true || !Array.isArray(shape.dim)) return undefined;
  return shape.dim.map((d: unknown) => {
    const size = Number(isObject(d) ? d.size : undefined);
    return Number.isSafeInteger(size) && size > 0 ? size : null;
  });
}

function featureShape(name: string, dims: (number | string | null)[] | undefined, file: string, field: string): number[] {
  if (dims === undefined || dims.length < 2) {
    throw new InputError(`input "${name}" has shape ${show(dims)}; expected [batch, features...]`, { file, field });
  }
  const free = dims.findIndex((d, i) => i > 0 && !(typeof d === 'number' && d > 0));
  if (free >= 0) {
    throw new InputError(
      `input "${name}" has shape ${show(dims)}: dimension ${free} (${JSON.stringify(dims[free] ?? 'unknown')}) is dynamic, so no default shadow architecture can be built for it; set "shadow": {"architecture": "<path of a Keras .h5/.keras or TF.js Layers model.json>"} in the audit, or export the model with fixed feature dimensions`,
      { file, field },
    );
  }
  return dims.slice(1) as number[];
}

function classCount(name: string, dims: (number | string | null)[] | undefined, file: string, field: string): number {
  const units = dims?.[dims.length - 1];
  if (dims === undefined || dims.length !== 2 || typeof units !== 'number' || units < 1) {
    throw new InputError(
      `output "${name}" has shape ${show(dims)}; expected [batch, classes] with a fixed number of classes for a default shadow architecture (or set "shadow": {"architecture": "<path of a Keras .h5/.keras or TF.js Layers model.json>"} in the audit)`,
      { file, field },
    );
  }
  return units === 1 ? 2 : units;
}

function show(dims: (number | string | null)[] | undefined): string {
  return dims === undefined ? 'of unknown rank' : `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
