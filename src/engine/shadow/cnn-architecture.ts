/**
 * The convolutional networks our own kernels train (cnn-trainer.ts): a Sequential
 * model of Conv2D, MaxPooling2D, AveragePooling2D, BatchNormalization (over channels),
 * Flatten, Dense, Dropout and Activation layers, channels last, ending in a Dense softmax
 * (or logits) layer. Shapes and padding are resolved here (TensorFlow's 'same' rule) so
 * the trainer only walks a list. Anything else (dilation, regularisers, constraints,
 * other layers) is reported as a reason, and the TF.js layers trainer takes the model.
 * Free of TensorFlow imports: the main thread decides with it.
 */
import type { Activation } from './architecture';
import { isObject } from './architecture';

export interface Shape3 {
  h: number;
  w: number;
  c: number;
}

/** A 2-D window (convolution kernel or pool) with its strides and leading padding. */
export interface Window {
  input: Shape3;
  output: Shape3;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Rows/columns of zeros (or ignored positions, for pools) before the input. */
  padTop: number;
  padLeft: number;
}

export interface ConvLayer extends Window {
  kind: 'conv';
  activation: Activation;
  useBias: boolean;
}

export interface PoolLayer extends Window {
  kind: 'maxPool' | 'avgPool';
}

export interface DenseLayer {
  kind: 'dense';
  inSize: number;
  units: number;
  activation: Activation;
  useBias: boolean;
}

/** Inverted dropout (Keras semantics: scale kept values by 1 / (1 - rate) in training only). */
export interface DropoutLayer {
  kind: 'dropout';
  size: number;
  rate: number;
}

/**
 * Batch normalisation over the last (channel) axis, as tfjs-layers trains it: batch
 * mean and biased variance in training (moving averages updated with `momentum`),
 * moving statistics when predicting; an Activation after it folds in.
 */
export interface BatchNormLayer {
  kind: 'batchNorm';
  /** Values per record, and channels (the last axis). */
  size: number;
  channels: number;
  epsilon: number;
  momentum: number;
  /** gamma (scale) and beta (center) are trained when present. */
  scale: boolean;
  center: boolean;
  activation: Activation;
}

export type CnnLayer = ConvLayer | PoolLayer | DenseLayer | DropoutLayer | BatchNormLayer;

export interface CnnSpec {
  input: Shape3;
  inputSize: number;
  layers: CnnLayer[];
  /** Units of the output layer. */
  numClasses: number;
}

const ACTIVATIONS: readonly string[] = ['relu', 'linear', 'sigmoid', 'tanh'];

type Reason = { reason: string };

/** Output length and leading padding of one axis (TensorFlow's rule for 'valid' and 'same'). */
export function axis(size: number, k: number, stride: number, padding: 'valid' | 'same'): { out: number; pad: number } {
  if (padding === 'valid') return { out: Math.floor((size - k) / stride) + 1, pad: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return { out, pad: Math.floor(total / 2) };
}

const pair = (v: unknown, fallback?: [number, number]): [number, number] | undefined => {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x > 0)) return [v[0] as number, v[1] as number];
  return undefined;
};

/** The CNN a topology describes, or why our kernels cannot train it. */
export function cnnSpecOf(topology: Record<string, unknown>): CnnSpec | Reason {
  if (topology.class_name !== 'Sequential') return { reason: `a ${String(topology.class_name)} model, not Sequential` };
  const config = topology.config;
  const layers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : undefined;
  if (layers === undefined || layers.length === 0) return { reason: 'no layers in the Sequential config' };
  let shape: number[] | undefined;
  let inputDims: number[] | undefined;
  const specs: CnnLayer[] = [];
  for (const [i, layer] of layers.entries()) {
    if (!isObject(layer) || !isObject(layer.config)) return { reason: `layer ${i} has no config` };
    const c = layer.config;
    const batchShape = c.batch_input_shape ?? c.batchInputShape ?? c.batch_shape;
    if (Array.isArray(batchShape) && shape === undefined) {
      const dims = batchShape.slice(1);
      if (!dims.every((d): d is number => typeof d === 'number' && Number.isInteger(d) && d > 0)) return { reason: `layer ${i} has an unknown input dimension` };
      shape = dims;
      inputDims = dims;
    }
    if (shape === undefined) return { reason: 'the first layer declares no input shape' };
    for (const key of ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint']) {
      if (c[key] != null) return { reason: `layer ${i} (${String(layer.class_name)}) has a ${key}` };
    }
    if (c.data_format !== undefined && c.data_format !== null && c.data_format !== 'channels_last') {
      return { reason: `layer ${i} (${String(layer.class_name)}) is ${String(c.data_format)}; the convolutional trainer needs channels_last` };
    }
    const result = layerSpec(layer.class_name, c, shape, i, specs);
    if ('reason' in result) return result;
    shape = result.shape;
  }
  const last = specs[specs.length - 1];
  if (last === undefined || last.kind !== 'dense') return { reason: 'the output layer is not Dense' };
  if (last.activation !== 'softmax' && last.activation !== 'linear') {
    return { reason: `the output layer has activation ${last.activation}; the convolutional trainer needs softmax or logits` };
  }
  if (!specs.some((l) => l.kind === 'conv' || l.kind === 'maxPool' || l.kind === 'avgPool')) return { reason: 'no convolution or pooling layer' };
  const hiddenSoftmax = specs.findIndex((l, j) => j < specs.length - 1 && (l.kind === 'conv' || l.kind === 'dense' || l.kind === 'batchNorm') && l.activation === 'softmax');
  if (hiddenSoftmax >= 0) return { reason: 'softmax before the output layer' };
  const dims = inputDims as number[];
  if (dims.length !== 3) return { reason: `the input has shape [${dims.join(', ')}]; the convolutional trainer needs [height, width, channels]` };
  const input = { h: dims[0], w: dims[1], c: dims[2] };
  return { input, inputSize: input.h * input.w * input.c, layers: specs, numClasses: last.units };
}

/** One layer's spec (appended to `specs`) and the shape after it. */
function layerSpec(className: unknown, c: Record<string, unknown>, shape: number[], i: number, specs: CnnLayer[]): { shape: number[] } | Reason {
  const size = shape.reduce((a, b) => a * b, 1);
  const previous = specs[specs.length - 1];
  switch (className) {
    case 'InputLayer':
      return { shape };
    case 'Flatten':
      return { shape: [size] };
    case 'Dropout': {
      const rate = c.rate;
      if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) return { reason: `layer ${i} (Dropout) has no valid rate` };
      if (c.noise_shape != null) return { reason: `layer ${i} (Dropout) has a noise_shape` };
      if (rate > 0) specs.push({ kind: 'dropout', size, rate });
      return { shape };
    }
    case 'Activation': {
      const activation = c.activation;
      if (typeof activation !== 'string' || !(ACTIVATIONS.includes(activation) || activation === 'softmax')) {
        return { reason: `layer ${i} (Activation) is ${JSON.stringify(activation)}` };
      }
      // Folded into the layer before it, which must be linear.
      if (activation === 'linear') return { shape };
      if (previous === undefined || (previous.kind !== 'conv' && previous.kind !== 'dense' && previous.kind !== 'batchNorm') || previous.activation !== 'linear') {
        return { reason: `layer ${i} (Activation) does not follow a linear Conv2D, Dense or BatchNormalization layer` };
      }
      previous.activation = activation as Activation;
      return { shape };
    }
    case 'BatchNormalization': {
      const axisValue = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : c.axis ?? -1;
      if (axisValue !== -1 && axisValue !== shape.length) return { reason: `layer ${i} (BatchNormalization) normalises axis ${JSON.stringify(c.axis)}, not the channels` };
      for (const key of ['gamma_regularizer', 'beta_regularizer', 'gamma_constraint', 'beta_constraint', 'renorm', 'virtual_batch_size', 'adjustment']) {
        if (c[key] != null && c[key] !== false) return { reason: `layer ${i} (BatchNormalization) has ${key}` };
      }
      // tfjs-layers 4.22 cannot train these either (it reads gamma and beta unconditionally).
      if (c.scale === false || c.center === false) return { reason: `layer ${i} (BatchNormalization) has no ${c.scale === false ? 'scale' : 'center'}` };
      const epsilon = c.epsilon ?? 1e-3;
      const momentum = c.momentum ?? 0.99;
      if (typeof epsilon !== 'number' || !(epsilon > 0) || typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
        return { reason: `layer ${i} (BatchNormalization) has no valid epsilon or momentum` };
      }
      specs.push({
        kind: 'batchNorm', size, channels: shape[shape.length - 1], epsilon, momentum,
        scale: c.scale !== false, center: c.center !== false, activation: 'linear',
      });
      return { shape };
    }
    case 'Dense': {
      if (shape.length !== 1) return { reason: `layer ${i} (Dense) takes a ${shape.length}-D input; the convolutional trainer needs a Flatten before it` };
      const units = c.units;
      if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) return { reason: `layer ${i} (Dense) has no valid "units"` };
      const activation = activationOf(c.activation, i, 'Dense');
      if (typeof activation !== 'string') return activation;
      specs.push({ kind: 'dense', inSize: size, units, activation, useBias: c.use_bias !== false && c.useBias !== false });
      return { shape: [units] };
    }
    case 'Conv2D': {
      if (shape.length !== 3) return { reason: `layer ${i} (Conv2D) takes a ${shape.length}-D input` };
      const filters = c.filters;
      const kernel = pair(c.kernel_size ?? c.kernelSize);
      const strides = pair(c.strides, [1, 1]);
      const dilation = pair(c.dilation_rate ?? c.dilationRate, [1, 1]);
      if (typeof filters !== 'number' || !Number.isInteger(filters) || filters < 1) return { reason: `layer ${i} (Conv2D) has no valid "filters"` };
      if (kernel === undefined || strides === undefined) return { reason: `layer ${i} (Conv2D) has no valid kernel_size or strides` };
      if (dilation === undefined || dilation[0] !== 1 || dilation[1] !== 1) return { reason: `layer ${i} (Conv2D) is dilated` };
      if (c.groups !== undefined && c.groups !== 1) return { reason: `layer ${i} (Conv2D) is grouped` };
      const window = windowOf(shape, kernel, strides, c.padding, filters, i, 'Conv2D');
      if ('reason' in window) return window;
      const activation = activationOf(c.activation, i, 'Conv2D');
      if (typeof activation !== 'string') return activation;
      specs.push({ kind: 'conv', ...window, activation, useBias: c.use_bias !== false && c.useBias !== false });
      return { shape: [window.output.h, window.output.w, window.output.c] };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      if (shape.length !== 3) return { reason: `layer ${i} (${className}) takes a ${shape.length}-D input` };
      const pool = pair(c.pool_size ?? c.poolSize, [2, 2]);
      const strides = pair(c.strides, pool);
      if (pool === undefined || strides === undefined) return { reason: `layer ${i} (${className}) has no valid pool_size or strides` };
      const window = windowOf(shape, pool, strides, c.padding, shape[2], i, className);
      if ('reason' in window) return window;
      specs.push({ kind: className === 'MaxPooling2D' ? 'maxPool' : 'avgPool', ...window });
      return { shape: [window.output.h, window.output.w, window.output.c] };
    }
    default:
      return { reason: `layer ${i} is ${String(className)}` };
  }
}

function windowOf(shape: number[], k: [number, number], s: [number, number], padding: unknown, channels: number, i: number, name: string): Window | Reason {
  const mode = padding ?? 'valid';
  if (mode !== 'valid' && mode !== 'same') return { reason: `layer ${i} (${name}) has padding ${JSON.stringify(padding)}` };
  const [h, w, c] = shape;
  const rows = axis(h, k[0], s[0], mode);
  const cols = axis(w, k[1], s[1], mode);
  if (rows.out < 1 || cols.out < 1) return { reason: `layer ${i} (${name}) leaves no output for a ${h}x${w} input` };
  return {
    input: { h, w, c }, output: { h: rows.out, w: cols.out, c: channels },
    kh: k[0], kw: k[1], sh: s[0], sw: s[1], padTop: rows.pad, padLeft: cols.pad,
  };
}

function activationOf(value: unknown, i: number, name: string): Activation | Reason {
  const activation = value ?? 'linear';
  if (typeof activation === 'string' && (ACTIVATIONS.includes(activation) || activation === 'softmax')) return activation as Activation;
  return { reason: `layer ${i} (${name}) has activation ${JSON.stringify(activation)}` };
}

export function isCnnSpec(x: CnnSpec | Reason): x is CnnSpec {
  return 'layers' in x;
}

/** Trainable values of one copy of the network. */
export function cnnParameterCount(spec: CnnSpec): number {
  let count = 0;
  for (const l of spec.layers) {
    if (l.kind === 'conv') count += l.kh * l.kw * l.input.c * l.output.c + (l.useBias ? l.output.c : 0);
    if (l.kind === 'dense') count += l.inSize * l.units + (l.useBias ? l.units : 0);
    if (l.kind === 'batchNorm') count += (l.scale ? l.channels : 0) + (l.center ? l.channels : 0);
  }
  return count;
}

/**
 * Floats the convolutional trainer holds for one shadow at this batch size: parameters,
 * gradients and Adam moments, each layer's output and gradient, im2col matrices, masks
 * and argmax indices. Bounded by the WebAssembly memory (2 GiB).
 */
export function cnnWorkingFloats(spec: CnnSpec, batchSize: number): number {
  let floats = 4 * cnnParameterCount(spec) + batchSize * spec.inputSize;
  for (const l of spec.layers) {
    const out = l.kind === 'dense' ? l.units : l.kind === 'dropout' || l.kind === 'batchNorm' ? l.size : l.output.h * l.output.w * l.output.c;
    floats += 2 * batchSize * out;
    if (l.kind === 'conv') floats += batchSize * l.output.h * l.output.w * l.kh * l.kw * l.input.c + l.kh * l.kw * l.input.c * l.output.c;
    if (l.kind === 'dense') floats += l.inSize * l.units;
    if (l.kind === 'maxPool' || l.kind === 'dropout' || l.kind === 'batchNorm') floats += batchSize * out;
  }
  return floats;
}
