/**
 * White-box access to a TensorFlow.js Layers model: per-record norms of the gradient of the
 * record's loss with respect to each layer's weights, for the white-box attack (Nasr et al.).
 * The black-box Classifier interface stays as it is; this is a separate, optional accessor.
 *
 * Per-record ("per-example") gradients, batched where the layer allows it:
 * - a Dense layer on rank-2 input computes z_i = a_i W + b, so record i's weight gradient is
 *   the outer product a_i delta_i^T with delta_i = dL_i/dz_i, whose norm factorises:
 *   ||dL_i/dW|| = ||a_i|| ||delta_i||, and ||dL_i/db|| = ||delta_i||. One forward and one
 *   backward pass give delta for the whole batch: zero "probe" tensors are added to every
 *   Dense pre-activation and the summed loss is differentiated with respect to them (records
 *   do not interact at inference, so the gradient of the sum at row i is delta_i);
 * - a Conv2D layer (channels last, rank-4 input, no dilation) computes z_ip = patch_ip W + b at every
 *   output position p, so record i's weight gradient is sum_p patch_ip^T delta_ip =
 *   P_i^T D_i with P_i the record's im2col patches [positions, kh*kw*cin] and D_i its
 *   output gradients [positions, filters]: probes give D for the whole batch as for Dense,
 *   the patches are strided slices of the (padded) input, and one batched matmul gives
 *   every record's gradient [kh*kw*cin, filters], whose squared sum is the norm (the bias
 *   gradient is sum_p delta_ip). No factorisation here: the positions couple the terms;
 * - a BatchNormalization layer over the last axis is, at inference, y = gamma xhat + beta per
 *   channel with fixed statistics: with a probe on its output, record i's gradients are
 *   sum over positions of delta_i xhat_i (gamma) and of delta_i (beta);
 * - every other layer with weights (Conv1D, DepthwiseConv2D, ...) is differentiated one
 *   record at a time (tf.variableGrads), which the caller may skip for large datasets;
 * - models that are not a single chain of layers use the per-record loop for every layer.
 *
 * The loss is the cross-entropy of the true label, computed from logits where the model ends
 * in a softmax or sigmoid (the activation is folded into the loss for numerical stability);
 * outputs of any other final activation are treated as logits, as the Classifier does.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InputError } from '../../errors';
import { readLayersModelArtifacts } from './tfjs-layers-files';
import { loadKerasLayersModel } from './keras-model';
import { kerasFormatOf } from './keras-model-config';
import { loadOnnxLayersModel } from './onnx-layers-model';

type Layer = tfl.LayersModel['layers'][number];

/** How a layer's per-record gradient norms are computed. */
export type GradientMethod = 'dense-factorised' | 'conv2d-batched' | 'batchnorm-batched' | 'per-example';

export interface GradientLayerInfo {
  name: string;
  className: string;
  method: GradientMethod;
}

export interface LayerGradientNorms extends GradientLayerInfo {
  /** Per record: L2 norm of dL/d(all this layer's trainable weights). */
  weightNorms: Float64Array;
  /** Dense layers only, per record: L2 norm of dL/d(pre-activation output), delta above. */
  outputNorms?: Float64Array;
}

export interface GradientNormOptions {
  /** Records per forward/backward pass for Dense and Conv2D layers (fewer when activations are large). */
  batchSize?: number;
  /** Leave out layers that need the one-record-at-a-time loop. */
  skipPerExampleLayers?: boolean;
  signal?: AbortSignal;
}

export interface WhiteBoxModel {
  file: string;
  numClasses: number;
  /** Every layer with trainable weights, in model order. */
  layers: GradientLayerInfo[];
  perExampleGradientNorms(
    features: Float32Array,
    featureShape: number[],
    labels: Int32Array,
    count: number,
    options?: GradientNormOptions,
  ): Promise<LayerGradientNorms[]>;
  dispose(): void;
}

export async function loadWhiteBoxModel(modelJsonPath: string): Promise<WhiteBoxModel> {
  let model: tfl.LayersModel;
  if (kerasFormatOf(modelJsonPath)) {
    // Keras files are rebuilt as TF.js Layers models: the same white-box access applies.
    model = (await loadKerasLayersModel(modelJsonPath)).model;
  } else if (/\.onnx$/i.test(modelJsonPath)) {
    // The ONNX graph converted to TF.js layers with the model's own weights; an operator the converter lacks is named.
    model = await loadOnnxLayersModel(modelJsonPath);
  } else {
    const artifacts = readLayersModelArtifacts(modelJsonPath);
    try {
      model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (e) {
      throw new InputError(`TensorFlow.js could not build the model: ${(e as Error).message}`, { file: modelJsonPath, field: 'modelTopology' });
    }
  }
  try {
    return whiteBoxFromLayersModel(model, modelJsonPath);
  } catch (e) {
    model.dispose();
    if (e instanceof Error && !(e instanceof InputError)) throw new InputError(e.message, { file: modelJsonPath, field: 'modelTopology' });
    throw e;
  }
}

/** Wraps a model already in memory; dispose() disposes it. */
export function whiteBoxFromLayersModel(model: tfl.LayersModel, file = 'memory'): WhiteBoxModel {
  return new LayersWhiteBox(model, file);
}

type LossKind = 'softmax-logits' | 'sigmoid-logit' | 'softmax-probabilities' | 'sigmoid-probability';

/** Below this, a probability is clamped before its log (float32 softmax underflows to 0). */
const MIN_PROBABILITY = 1e-7;

/** Where a Conv2D layer reads its input: what the im2col patches need. */
interface ConvGeometry {
  kernel: [number, number];
  strides: [number, number];
  dilation: [number, number];
  padding: 'valid' | 'same';
}

/** A layer whose per-record gradients come from one batched pass: its probe's shape (batch left out) and how. */
type BatchedStep =
  | { kind: 'dense'; outShape: number[] }
  | { kind: 'conv2d'; outShape: number[]; geometry: ConvGeometry }
  | { kind: 'batchnorm'; outShape: number[]; epsilon: number };

interface ChainPlan {
  /** Layers applied in order; a trailing softmax/sigmoid layer is left out (folded into the loss). */
  steps: Layer[];
  /** Per step: how a batched layer is handled, else undefined (run as the model defines it). */
  batched: (BatchedStep | undefined)[];
  /** Last step is a Dense layer whose softmax/sigmoid activation is folded into the loss. */
  foldLastActivation: boolean;
  loss: LossKind;
  /** Activation values one record produces along the chain, to size batches. */
  valuesPerRecord: number;
}

/** Activation values a batched pass may hold (the tape keeps each layer's output): 2^24 floats, 64 MiB. */
const BATCH_VALUES = 1 << 24;
/** im2col patch values one matmul may read: 2^24 floats, 64 MiB. */
const PATCH_VALUES = 1 << 24;

class LayersWhiteBox implements WhiteBoxModel {
  readonly numClasses: number;
  readonly layers: GradientLayerInfo[];
  private readonly plan: ChainPlan | undefined;
  private readonly genericLoss: LossKind;
  private readonly activations = new Map<Layer, Layer>();

  constructor(private readonly model: tfl.LayersModel, readonly file: string) {
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new InputError(`expected a model with one input and one output, found ${model.inputs.length} inputs and ${model.outputs.length} outputs`, { file, field: 'modelTopology' });
    }
    const outShape = model.outputs[0].shape;
    const units = outShape[outShape.length - 1];
    if (outShape.length !== 2 || typeof units !== 'number') {
      throw new InputError(`expected a classifier with output shape [batch, classes], found [${outShape.join(', ')}]`, { file, field: 'modelTopology' });
    }
    this.numClasses = units === 1 ? 2 : units;
    this.genericLoss = outputLoss(model, units);
    this.plan = chainPlan(model, units);
    this.layers = withWeights(model.layers).map((layer) => ({
      name: layer.name,
      className: layer.getClassName(),
      method: methodOf(this.plan?.batched[this.plan.steps.indexOf(layer)]),
    }));
  }

  async perExampleGradientNorms(
    features: Float32Array,
    featureShape: number[],
    labels: Int32Array,
    count: number,
    options: GradientNormOptions = {},
  ): Promise<LayerGradientNorms[]> {
    const per = featureShape.reduce((a, b) => a * b, 1);
    if (features.length !== count * per || labels.length !== count) {
      throw new Error(`expected ${count} records of ${per} features and ${count} labels`);
    }
    const bad = labels.findIndex((y) => !(y >= 0 && y < this.numClasses));
    if (bad >= 0) throw new Error(`record ${bad} has label ${labels[bad]}; this model has classes 0..${this.numClasses - 1}`);
    const shape = this.model.inputs[0].shape.slice(1).map((d, i) => d ?? featureShape[i]) as number[];
    const results = new Map<string, LayerGradientNorms>();
    for (const info of this.layers) {
      if (info.method === 'per-example' && options.skipPerExampleLayers) continue;
      results.set(info.name, {
        ...info,
        weightNorms: new Float64Array(count),
        outputNorms: info.method === 'dense-factorised' ? new Float64Array(count) : undefined,
      });
    }
    if (this.plan && this.layers.some((l) => l.method !== 'per-example')) {
      const batchSize = Math.max(1, Math.min(options.batchSize ?? 256, Math.floor(BATCH_VALUES / this.plan.valuesPerRecord)));
      for (let start = 0; start < count; start += batchSize) {
        throwIfAborted(options.signal);
        const n = Math.min(batchSize, count - start);
        await this.batchedPass(this.plan, features.subarray(start * per, (start + n) * per), [n, ...shape], labels.subarray(start, start + n), start, results);
        // Let other work (progress, cancellation) run between batches.
        await new Promise((r) => setImmediate(r));
      }
    }
    const looped = this.layers.filter((l) => l.method === 'per-example' && results.has(l.name));
    if (looped.length > 0) {
      const byName = new Map(this.model.layers.map((l) => [l.name, l]));
      const variables = looped.map((l) => byName.get(l.name)!.trainableWeights.map((w) => w.read() as tf.Variable));
      for (let i = 0; i < count; i++) {
        if (i % 64 === 0) {
          throwIfAborted(options.signal);
          await new Promise((r) => setImmediate(r));
        }
        const squares = this.singleRecord(features.subarray(i * per, (i + 1) * per), [1, ...shape], labels[i], variables);
        looped.forEach((l, k) => (results.get(l.name)!.weightNorms[i] = Math.sqrt(squares[k])));
      }
    }
    return this.layers.filter((l) => results.has(l.name)).map((l) => results.get(l.name)!);
  }

  dispose(): void {
    // The activation layers made by activate() hold no weights: nothing of theirs to free.
    this.model.dispose();
  }

  /** Dense and Conv2D layers of one batch: delta from the probes, then each layer's norms. */
  private async batchedPass(
    plan: ChainPlan,
    features: Float32Array,
    shape: number[],
    labels: Int32Array,
    offset: number,
    results: Map<string, LayerGradientNorms>,
  ): Promise<void> {
    const n = shape[0];
    const batchedSteps = plan.steps.map((_, i) => i).filter((i) => plan.batched[i] !== undefined);
    const kept: tf.Tensor[] = [];
    const x = tf.tensor(features, shape, 'float32');
    const target = tf.tensor1d(labels, 'int32');
    let deltas: tf.Tensor[] = [];
    try {
      const probes = batchedSteps.map((i) => tf.zeros([n, ...plan.batched[i]!.outShape]));
      try {
        deltas = tf.grads((...p: tf.Tensor[]) => {
          const inputs: tf.Tensor[] = [];
          const logits = this.forward(plan, x, p, inputs);
          kept.push(...inputs.map((t) => tf.keep(t)));
          return summedLoss(plan.loss, logits, target, this.numClasses);
        })(probes);
      } finally {
        tf.dispose(probes);
      }
      for (let k = 0; k < batchedSteps.length; k++) {
        const layer = plan.steps[batchedSteps[k]];
        const out = results.get(layer.name);
        if (!out) continue;
        const step = plan.batched[batchedSteps[k]]!;
        if (step.kind !== 'dense') {
          const squares = step.kind === 'conv2d'
            ? await convWeightSquares(kept[k] as tf.Tensor4D, deltas[k] as tf.Tensor4D, step.geometry, hasBias(layer))
            : await batchNormSquares(layer, kept[k], deltas[k], step.epsilon);
          for (let i = 0; i < n; i++) out.weightNorms[offset + i] = Math.sqrt(squares[i]);
          continue;
        }
        const inputSquares = await rowSquares(kept[k]);
        const deltaSquares = await rowSquares(deltas[k]);
        const bias = hasBias(layer);
        for (let i = 0; i < n; i++) {
          const d2 = deltaSquares[i];
          out.weightNorms[offset + i] = Math.sqrt(inputSquares[i] * d2 + (bias ? d2 : 0));
          out.outputNorms![offset + i] = Math.sqrt(d2);
        }
      }
    } finally {
      tf.dispose([...kept.filter((t) => t !== x), ...deltas, x, target]);
    }
  }

  /** Squared gradient norm per looped layer for one record. */
  private singleRecord(features: Float32Array, shape: number[], label: number, variables: tf.Variable[][]): number[] {
    const flat = variables.flat();
    return tf.tidy(() => {
      const x = tf.tensor(features, shape, 'float32');
      const target = tf.tensor1d([label], 'int32');
      const { grads } = tf.variableGrads(() => {
        const logits = this.plan ? this.forward(this.plan, x, undefined, undefined) : (this.model.apply(x, { training: false }) as tf.Tensor);
        return summedLoss(this.plan?.loss ?? this.genericLoss, logits, target, this.numClasses);
      }, flat);
      const squares = variables.map((vars) => vars.reduce((sum, v) => {
        const g = grads[v.name];
        return g ? tf.add(sum, tf.sum(tf.square(g))) : sum;
      }, tf.scalar(0) as tf.Tensor));
      return Array.from(tf.stack(squares).dataSync());
    });
  }

  /**
   * Runs the chain. With probes, Dense and Conv2D layers are computed here (z = aW + b +
   * probe, z = conv(a, W) + b + probe) and their inputs a are collected; without, every
   * layer runs as the model defines it.
   */
  private forward(plan: ChainPlan, x: tf.Tensor, probes: tf.Tensor[] | undefined, denseInputs: tf.Tensor[] | undefined): tf.Tensor {
    let h = x;
    let probe = 0;
    plan.steps.forEach((layer, i) => {
      const last = i === plan.steps.length - 1;
      const step = plan.batched[i];
      if (step === undefined || probes === undefined) {
        if (last && plan.foldLastActivation) {
          h = this.denseLogits(layer, h);
        } else {
          h = layer.apply(h, { training: false }) as tf.Tensor;
        }
        return;
      }
      denseInputs?.push(h);
      const pre = step.kind === 'conv2d' ? convPreActivation(layer, h as tf.Tensor4D, step.geometry)
        : step.kind === 'batchnorm' ? layer.apply(h, { training: false }) as tf.Tensor
          : this.denseLogits(layer, h);
      const z = tf.add(pre, probes[probe++]);
      h = last && plan.foldLastActivation ? z : this.activate(layer, z);
    });
    return h;
  }

  /** a W + b of a Dense layer, before its activation. */
  private denseLogits(layer: Layer, a: tf.Tensor): tf.Tensor {
    const kernel = layer.weights.find((w) => w.shape.length === 2)!.read();
    const bias = layer.weights.find((w) => w.shape.length === 1)?.read();
    const z = tf.matMul(a as tf.Tensor2D, kernel as tf.Tensor2D);
    return bias ? tf.add(z, bias) : z;
  }

  private activate(layer: Layer, z: tf.Tensor): tf.Tensor {
    const name = activationOf(layer);
    if (name === undefined || name === 'linear') return z;
    let activation = this.activations.get(layer);
    if (!activation) {
      activation = tfl.layers.activation({ activation: name as never });
      this.activations.set(layer, activation);
    }
    return activation.apply(z) as tf.Tensor;
  }
}

/** Sum over the batch of the per-record cross-entropy of the true label. */
function summedLoss(kind: LossKind, output: tf.Tensor, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  switch (kind) {
    case 'softmax-logits': {
      const picked = tf.sum(tf.mul(output, tf.oneHot(labels, numClasses)), 1);
      return tf.sum(tf.sub(tf.logSumExp(output, 1), picked)) as tf.Scalar;
    }
    case 'softmax-probabilities': {
      const picked = tf.sum(tf.mul(output, tf.oneHot(labels, numClasses)), 1);
      return tf.neg(tf.sum(tf.log(tf.clipByValue(picked, MIN_PROBABILITY, 1)))) as tf.Scalar;
    }
    case 'sigmoid-logit': {
      // -[y log s(z) + (1-y) log(1-s(z))] = softplus(z) - y z
      const z = tf.reshape(output, [-1]);
      return tf.sum(tf.sub(tf.softplus(z), tf.mul(tf.cast(labels, 'float32'), z))) as tf.Scalar;
    }
    case 'sigmoid-probability': {
      const p = tf.clipByValue(tf.reshape(output, [-1]), MIN_PROBABILITY, 1 - MIN_PROBABILITY);
      const y = tf.cast(labels, 'float32');
      return tf.neg(tf.sum(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))))) as tf.Scalar;
    }
  }
}

/**
 * The layers in order when the model is one chain (each layer fed by the previous one only),
 * or undefined. A final softmax (or single-unit sigmoid) is folded into the loss: dropped
 * when it is a layer of its own, skipped inside the last Dense layer.
 */
function chainPlan(model: tfl.LayersModel, units: number): ChainPlan | undefined {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  let previous: Layer | undefined;
  for (const layer of layers) {
    if (layer.inboundNodes.length !== 1 || layer.inboundNodes[0].inboundLayers.length !== 1) return undefined;
    const source = layer.inboundNodes[0].inboundLayers[0];
    if (previous === undefined ? source.getClassName() !== 'InputLayer' : source !== previous) return undefined;
    previous = layer;
  }
  if (layers.length === 0 || model.outputs[0] !== layers[layers.length - 1].output) return undefined;
  const last = layers[layers.length - 1];
  const activation = last.getClassName() === 'Softmax' ? 'softmax' : activationOf(last);
  const foldable = activation === 'softmax' || (activation === 'sigmoid' && units === 1);
  const steps = foldable && last.getClassName() !== 'Dense' && layers.length > 1 ? layers.slice(0, -1) : layers;
  const batched = steps.map((layer) => batchedStep(layer));
  const foldLastActivation = foldable && steps === layers && batched[steps.length - 1]?.kind === 'dense';
  let loss: LossKind = 'softmax-logits';
  if (foldable && steps === layers && !foldLastActivation) loss = activation === 'softmax' ? 'softmax-probabilities' : 'sigmoid-probability';
  else if (activation === 'sigmoid' && units === 1) loss = 'sigmoid-logit';
  const valuesPerRecord = Math.max(1, steps.reduce((sum, layer) => sum + valuesOf(layer.outputShape), 0));
  return { steps, batched, foldLastActivation, loss, valuesPerRecord };
}

/** The loss of the model's own output, for models that are not run as a chain. */
function outputLoss(model: tfl.LayersModel, units: number): LossKind {
  const last = model.outputs[0].sourceLayer as Layer;
  const activation = last.getClassName() === 'Softmax' ? 'softmax' : activationOf(last);
  if (activation === 'softmax') return 'softmax-probabilities';
  if (activation === 'sigmoid' && units === 1) return 'sigmoid-probability';
  return 'softmax-logits';
}

/**
 * How a layer's per-record gradients are batched: a Dense layer fed rank-2 input, or a
 * channels-last Conv2D with valid or same padding; undefined for anything else.
 */
function batchedStep(layer: Layer): BatchedStep | undefined {
  if (layer.trainableWeights.length === 0) return undefined;
  const input = layer.inboundNodes[0]?.inputShapes;
  const inShape = Array.isArray(input) && Array.isArray(input[0]) ? input[0] : input;
  const outShape = Array.isArray(layer.outputShape) ? (layer.outputShape as (number | null)[]).slice(1) : [];
  if (!Array.isArray(inShape) || !outShape.every((d): d is number => typeof d === 'number')) return undefined;
  if (layer.getClassName() === 'Dense') return inShape.length === 2 ? { kind: 'dense', outShape } : undefined;
  if (layer.getClassName() === 'BatchNormalization') {
    // Normalised over the last axis (channels last), with its moving statistics.
    const config = layer.getConfig() as { axis?: unknown; epsilon?: unknown };
    const axis = Array.isArray(config.axis) && config.axis.length === 1 ? config.axis[0] : config.axis;
    if ((axis !== -1 && axis !== inShape.length - 1) || typeof config.epsilon !== 'number') return undefined;
    if (!weightNamed(layer, 'moving_mean') || !weightNamed(layer, 'moving_variance')) return undefined;
    return { kind: 'batchnorm', outShape, epsilon: config.epsilon };
  }
  if (layer.getClassName() !== 'Conv2D' || inShape.length !== 4 || outShape.length !== 3) return undefined;
  const config = layer.getConfig() as { kernelSize?: unknown; strides?: unknown; dilationRate?: unknown; padding?: unknown; dataFormat?: unknown };
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') return undefined;
  if (config.padding !== 'valid' && config.padding !== 'same') return undefined;
  const kernel = pair(config.kernelSize);
  const strides = pair(config.strides ?? 1);
  const dilation = pair(config.dilationRate ?? 1);
  if (!kernel || !strides || !dilation) return undefined;
  // TF.js has no gradient through a dilated conv2d, so neither path can differentiate past one.
  if (dilation[0] !== 1 || dilation[1] !== 1) return undefined;
  return { kind: 'conv2d', outShape, geometry: { kernel, strides, dilation, padding: config.padding } };
}

function methodOf(step: BatchedStep | undefined): GradientMethod {
  if (step === undefined) return 'per-example';
  return step.kind === 'dense' ? 'dense-factorised' : step.kind === 'conv2d' ? 'conv2d-batched' : 'batchnorm-batched';
}

/** A layer weight by its Keras name (gamma, beta, moving_mean, moving_variance). */
function weightNamed(layer: Layer, name: string): tf.Tensor | undefined {
  const w = layer.weights.find((v) => (v as { originalName?: string }).originalName?.endsWith(`/${name}`) ?? v.name.endsWith(`/${name}`));
  return w?.read();
}

/**
 * Per record, the squared norm of a BatchNormalization layer's gamma and beta gradients at
 * inference (y = gamma xhat + beta, xhat = (x - moving mean) / sqrt(moving variance + eps)):
 * dL_i/dgamma = sum over positions of delta_i xhat_i, dL_i/dbeta = sum of delta_i, per channel.
 */
async function batchNormSquares(layer: Layer, a: tf.Tensor, delta: tf.Tensor, epsilon: number): Promise<Float64Array> {
  const trainable = new Set(layer.trainableWeights.map((w) => w.name));
  const has = (name: string) => layer.weights.some((w) => trainable.has(w.name) && ((w as { originalName?: string }).originalName ?? w.name).endsWith(`/${name}`));
  const squares = tf.tidy(() => {
    const n = a.shape[0];
    const channels = a.shape[a.shape.length - 1];
    const mean = weightNamed(layer, 'moving_mean')!;
    const variance = weightNamed(layer, 'moving_variance')!;
    const d = tf.reshape(delta, [n, -1, channels]);
    const xhat = tf.reshape(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, epsilon))), [n, -1, channels]);
    let total: tf.Tensor = tf.zeros([n]);
    if (has('gamma')) total = tf.add(total, tf.sum(tf.square(tf.sum(tf.mul(d, xhat), 1)), 1));
    if (has('beta')) total = tf.add(total, tf.sum(tf.square(tf.sum(d, 1)), 1));
    return total;
  });
  try {
    return Float64Array.from(await squares.data());
  } finally {
    squares.dispose();
  }
}

/** A Keras size setting (n or [a, b]) as two positive integers, else undefined. */
function pair(value: unknown): [number, number] | undefined {
  const v = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x > 0)) return undefined;
  return [v[0] as number, v[1] as number];
}

function valuesOf(shape: unknown): number {
  const dims = Array.isArray(shape) && Array.isArray(shape[0]) ? shape[0] : shape;
  if (!Array.isArray(dims)) return 0;
  return dims.slice(1).reduce((p: number, d: unknown) => p * (typeof d === 'number' ? d : 1), 1);
}

/** conv(a, W) + b of a Conv2D layer, before its activation. */
function convPreActivation(layer: Layer, a: tf.Tensor4D, g: ConvGeometry): tf.Tensor {
  const kernel = layer.weights.find((w) => w.shape.length === 4)!.read() as tf.Tensor4D;
  const bias = layer.weights.find((w) => w.shape.length === 1)?.read();
  const z = tf.conv2d(a, kernel, g.strides, g.padding, 'NHWC', g.dilation);
  return bias ? tf.add(z, bias) : z;
}

/**
 * Per record, the squared norm of a Conv2D layer's weight (and bias) gradient from its
 * input a [n, H, W, cin] and output gradient delta [n, H', W', filters]: sum over the
 * kernel and filters of (P_i^T D_i)^2, plus sum over filters of (sum_p delta_ip)^2.
 * Records are taken a few at a time so the patches stay within PATCH_VALUES.
 */
async function convWeightSquares(a: tf.Tensor4D, delta: tf.Tensor4D, g: ConvGeometry, bias: boolean): Promise<Float64Array> {
  const [n, , , cin] = a.shape;
  const [, outH, outW, filters] = delta.shape;
  const positions = outH * outW;
  const patchWidth = g.kernel[0] * g.kernel[1] * cin;
  const rows = Math.max(1, Math.floor(PATCH_VALUES / (positions * patchWidth)));
  const out = new Float64Array(n);
  for (let start = 0; start < n; start += rows) {
    const m = Math.min(rows, n - start);
    const squares = tf.tidy(() => {
      const part = m === n ? a : tf.slice(a, [start, 0, 0, 0], [m, -1, -1, -1]);
      const d = tf.reshape(m === n ? delta : tf.slice(delta, [start, 0, 0, 0], [m, -1, -1, -1]), [m, positions, filters]);
      const patches = tf.reshape(im2col(part, g, outH, outW), [m, positions, patchWidth]);
      const gradient = tf.matMul(patches, d, true, false); // [m, kh*kw*cin, filters]
      const weight = tf.sum(tf.square(gradient), [1, 2]);
      return bias ? tf.add(weight, tf.sum(tf.square(tf.sum(d, 1)), 1)) : weight;
    });
    try {
      out.set(await squares.data(), start);
    } finally {
      squares.dispose();
    }
  }
  return out;
}

/** Up to this patch width im2col is a convolution with an identity kernel (see im2col). */
const IDENTITY_IM2COL_WIDTH = 64;

/**
 * The im2col patches of a convolution's input, [n, H', W', kh*kw*cin] in the kernel's
 * own (kh, kw, cin) order. Narrow patches: a convolution with the identity kernel
 * (kh*kw*cin filters, same padding, strides and dilation; its cost grows with the width
 * squared). Wide ones: one strided slice of the padded input per kernel tap, concatenated
 * ('same' pads as TensorFlow does, the odd pixel at the bottom/right). Measured on wasm,
 * batch 256: 28x28x1 input, 3x3 kernel: 13 ms by identity vs 211 ms by slices (a
 * concatenation of one-channel slices is slow); 13x13x16: 86 vs 58-69 ms.
 */
function im2col(a: tf.Tensor4D, g: ConvGeometry, outH: number, outW: number): tf.Tensor4D {
  const [n, height, width, cin] = a.shape;
  const [kh, kw] = g.kernel;
  const patchWidth = kh * kw * cin;
  if (patchWidth <= IDENTITY_IM2COL_WIDTH) {
    const identity = new Float32Array(patchWidth * patchWidth);
    for (let k = 0; k < patchWidth; k++) identity[k * patchWidth + k] = 1;
    return tf.conv2d(a, tf.tensor4d(identity, [kh, kw, cin, patchWidth]), g.strides, g.padding, 'NHWC', g.dilation);
  }
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  let x = a;
  if (g.padding === 'same') {
    const padH = Math.max((outH - 1) * sh + (kh - 1) * dh + 1 - height, 0);
    const padW = Math.max((outW - 1) * sw + (kw - 1) * dw + 1 - width, 0);
    x = tf.pad(a, [[0, 0], [Math.floor(padH / 2), padH - Math.floor(padH / 2)], [Math.floor(padW / 2), padW - Math.floor(padW / 2)], [0, 0]]);
  }
  const taps: tf.Tensor4D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      taps.push(tf.stridedSlice(x, [0, i * dh, j * dw, 0], [n, i * dh + (outH - 1) * sh + 1, j * dw + (outW - 1) * sw + 1, cin], [1, sh, sw, 1]) as tf.Tensor4D);
    }
  }
  return taps.length === 1 ? taps[0] : tf.concat4d(taps, 3);
}

function hasBias(layer: Layer): boolean {
  return layer.weights.some((w) => w.shape.length === 1);
}

function activationOf(layer: Layer): string | undefined {
  const activation = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof activation === 'string' ? activation : undefined;
}

function withWeights(layers: Layer[]): Layer[] {
  return layers.filter((l) => l.trainableWeights.length > 0);
}

/** Squared L2 norm of each row (first axis) of a tensor, in float64. */
async function rowSquares(t: tf.Tensor): Promise<Float64Array> {
  const values = (await t.data()) as Float32Array;
  const rows = t.shape[0];
  const width = values.length / rows;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = r * width; j < (r + 1) * width; j++) s += values[j] * values[j];
    out[r] = s;
  }
  return out;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DOMException('The audit was cancelled', 'AbortError');
}
