/**
 * The architecture shadows copy: the target's Keras model config (from model.json's
 * topology, or from a Keras .h5/.keras file; its weights are never read: shadows start
 * from fresh weights) and training config, plus the facts the trainers need: whether the
 * model is a plain Dense stack the stacked trainer handles, and what its output means.
 * An ONNX graph is converted to a TF.js Layers topology of the same architecture
 * (onnx-to-layers.ts); when it holds an operator the converter does not support, and for
 * TF.js graph models, a default architecture is built for the input shape and class count
 * the file declares (default-architecture.ts), and the audit says so once (fallback-architecture).
 */
import { readRegularFileSync } from '../artifacts/safe-files';
import * as path from 'node:path';
import { InputError } from '../errors';
import { graphModelDeclaredShape, onnxDeclaredShape } from '../artifacts/models/black-box-shape';
import { readKerasModelConfig } from '../artifacts/models/keras-model-config';
import { readOnnxConversion } from '../artifacts/models/onnx-to-layers';
import { untrainableLayer } from '../artifacts/models/onnx-layers-model';
import { checkSupportedLayers, normaliseKerasConfig } from '../artifacts/models/keras-config';
import { defaultedArchitecture, defaultTopology, type DefaultedArchitecture } from './default-architecture';

export interface Architecture {
  file: string;
  /** Keras/tfjs model config ({class_name, config}); a Keras `model_config` wrapper removed. */
  topology: Record<string, unknown>;
  /** model.json `trainingConfig` (optimizer, loss), when the model was saved with one. */
  trainingConfig?: Record<string, unknown>;
  /** Set when the file is a black box and the topology is our default, not the model's own. */
  defaulted?: DefaultedArchitecture;
  /** Set when the topology was converted from an ONNX graph: what it holds, in short. */
  converted?: string;
}

/** Largest model.json we parse; the topology of any real classifier is far smaller. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

/** Black-box formats: their files carry no architecture the shadows could copy. */
const BLACK_BOX_EXTENSIONS = ['.onnx'];

/**
 * The architecture in a model file. An ONNX graph converted to TF.js layers; for a graph
 * that cannot be converted and for a TF.js graph model, a default Dense stack for the input
 * shape and class count the file declares (read without running the model); an
 * InputError when a dynamic feature dimension or an undeclared output prevents one.
 */
export async function readArchitecture(file: string): Promise<Architecture> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.h5') || lower.endsWith('.hdf5') || lower.endsWith('.keras')) {
    const keras = await readKerasModelConfig(file);
    // Refused here too, so a shadow attack names the layer rather than failing in training.
    checkSupportedLayers(keras.config, file, keras.field);
    return { file, topology: normaliseKerasConfig(keras.config), trainingConfig: keras.trainingConfig };
  }
  if (BLACK_BOX_EXTENSIONS.includes(path.extname(lower))) return await onnxArchitecture(file);
  return readModelJsonArchitecture(file);
}

/** The ONNX model's own architecture, or the default one with the reason the conversion failed. */
async function onnxArchitecture(file: string): Promise<Architecture> {
  let failure: Error;
  try {
    const conversion = readOnnxConversion(file, 'fresh');
    // A layer the shadows' backend cannot train falls back like an unsupported operator.
    const untrainable = await untrainableLayer(conversion, file);
    if (untrainable) throw untrainable;
    return { file, topology: conversion.topology, converted: conversion.summary };
  } catch (e) {
    // Any conversion failure falls back: the shadows still run, and the audit says why.
    failure = e as Error;
  }
  const shape = onnxDeclaredShape(file);
  return { file, topology: defaultTopology(shape), defaulted: defaultedArchitecture(file, shape, 'an ONNX model', failure) };
}

function readModelJsonArchitecture(file: string): Architecture {
  // A regular file inside the workspace, size checked before reading (safe-files.ts).
  const text = readRegularFileSync(file, { maxBytes: MAX_MODEL_JSON_BYTES, what: 'model file' }).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`model.json is not valid JSON: ${(e as Error).message}`, { file });
  }
  if (isObject(json) && json.format === 'graph-model') {
    const shape = graphModelDeclaredShape(json, file);
    return { file, topology: defaultTopology(shape), defaulted: defaultedArchitecture(file, shape, 'a TF.js graph model') };
  }
  if (!isObject(json) || !isObject(json.modelTopology)) {
    throw new InputError('missing "modelTopology": shadow models copy the target\'s Keras model config', { file, field: 'modelTopology' });
  }
  let topology = json.modelTopology;
  if (isObject(topology.model_config)) topology = topology.model_config;
  if (typeof topology.class_name !== 'string' || !isObject(topology.config) && !Array.isArray(topology.config)) {
    throw new InputError('"modelTopology" needs "class_name" and "config" (a Keras model config)', { file, field: 'modelTopology' });
  }
  return { file, topology, trainingConfig: isObject(json.trainingConfig) ? json.trainingConfig : undefined };
}

export type Activation = 'relu' | 'linear' | 'sigmoid' | 'tanh' | 'softmax';

export interface DenseLayerSpec {
  units: number;
  activation: Activation;
  useBias: boolean;
}

/** A Sequential model of Dense layers only: what the stacked trainer can train. */
export interface DenseStack {
  inputSize: number;
  layers: DenseLayerSpec[];
}

const HIDDEN_ACTIVATIONS: readonly string[] = ['relu', 'linear', 'sigmoid', 'tanh'];

/**
 * The Dense stack a topology describes, or a reason why it is not one (then the generic
 * per-model path trains it). Anything that changes training beyond the plain loss
 * (regularisers, constraints, dropout, other layers) disqualifies it.
 */
export function denseStackOf(topology: Record<string, unknown>): DenseStack | { reason: string } {
  if (topology.class_name !== 'Sequential') return { reason: `a ${String(topology.class_name)} model, not Sequential` };
  const config = topology.config;
  const layers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : undefined;
  if (layers === undefined || layers.length === 0) return { reason: 'no layers in the Sequential config' };
  const specs: DenseLayerSpec[] = [];
  let inputSize: number | undefined;
  for (const [i, layer] of layers.entries()) {
    if (!isObject(layer) || !isObject(layer.config)) return { reason: `layer ${i} has no config` };
    const c = layer.config;
    const batchShape = c.batch_input_shape ?? c.batchInputShape;
    if (Array.isArray(batchShape)) {
      const dims = batchShape.slice(1);
      if (!dims.every((d): d is number => typeof d === 'number')) return { reason: `layer ${i} has an unknown input dimension` };
      inputSize = dims.reduce((a, b) => a * b, 1);
    }
    if (layer.class_name === 'InputLayer' || (layer.class_name === 'Flatten' && specs.length === 0)) continue;
    if (layer.class_name !== 'Dense') return { reason: `layer ${i} is ${String(layer.class_name)}` };
    for (const key of ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint']) {
      if (c[key] != null) return { reason: `layer ${i} has a ${key}` };
    }
    const activation = c.activation ?? 'linear';
    const last = i === layers.length - 1;
    if (typeof activation !== 'string' || !(HIDDEN_ACTIVATIONS.includes(activation) || (last && activation === 'softmax'))) {
      return { reason: `layer ${i} has activation ${JSON.stringify(activation)}` };
    }
    if (last && activation !== 'softmax' && activation !== 'linear') {
      return { reason: `the output layer has activation ${activation}; the stacked trainer needs softmax or logits` };
    }
    if (typeof c.units !== 'number' || !Number.isInteger(c.units) || c.units < 1) return { reason: `layer ${i} has no valid "units"` };
    specs.push({ units: c.units, activation: activation as Activation, useBias: c.use_bias !== false && c.useBias !== false });
  }
  if (inputSize === undefined) return { reason: 'the first layer declares no input shape' };
  if (specs.length === 0) return { reason: 'no Dense layers' };
  return { inputSize, layers: specs };
}

export function isDenseStack(x: DenseStack | { reason: string }): x is DenseStack {
  return 'layers' in x;
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
