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
 * - every other layer with weights (Conv2D, BatchNormalization, ...) is differentiated one
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
export type GradientMethod = 'dense-factorised' | 'per-example';

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
  /** Records per forward/backward pass for Dense layers. */
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

interface ChainPlan {
  /** Layers applied in order; a trailing softmax/sigmoid layer is left out (folded into the loss). */
  steps: Layer[];
  /** Per step: the Dense layer's output units if it is factorised, else undefined. */
  denseUnits: (number | undefined)[];
  /** Last step is a Dense layer whose softmax/sigmoid activation is folded into the loss. */
  foldLastActivation: boolean;
  loss: LossKind;
}

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
      method: this.plan?.denseUnits[this.plan.steps.indexOf(layer)] !== undefined ? 'dense-factorised' : 'per-example',
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
    const batchSize = options.batchSize ?? 256;
    if (this.plan && this.layers.some((l) => l.method === 'dense-factorised')) {
      for (let start = 0; start < count; start += batchSize) {
        throwIfAborted(options.signal);
        const n = Math.min(batchSize, count - start);
        await this.denseBatch(this.plan, features.subarray(start * per, (start + n) * per), [n, ...shape], labels.subarray(start, start + n), start, results);
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

  /** Dense layers of one batch: delta from the probes, then the factorised norms. */
  private async denseBatch(
    plan: ChainPlan,
    features: Float32Array,
    shape: number[],
    labels: Int32Array,
    offset: number,
    results: Map<string, LayerGradientNorms>,
  ): Promise<void> {
    const n = shape[0];
    const denseSteps = plan.steps.map((_, i) => i).filter((i) => plan.denseUnits[i] !== undefined);
    const kept: tf.Tensor[] = [];
    const x = tf.tensor(features, shape, 'float32');
    const target = tf.tensor1d(labels, 'int32');
    let deltas: tf.Tensor[] = [];
    try {
      const probes = denseSteps.map((i) => tf.zeros([n, plan.denseUnits[i]!]));
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
      for (let k = 0; k < denseSteps.length; k++) {
        const layer = plan.steps[denseSteps[k]];
        const out = results.get(layer.name);
        if (!out) continue;
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
   * Runs the chain. With probes, Dense layers are computed here (z = aW + b + probe) and
   * their inputs a are collected; without, every layer runs as the model defines it.
   */
  private forward(plan: ChainPlan, x: tf.Tensor, probes: tf.Tensor[] | undefined, denseInputs: tf.Tensor[] | undefined): tf.Tensor {
    let h = x;
    let probe = 0;
    plan.steps.forEach((layer, i) => {
      const last = i === plan.steps.length - 1;
      if (plan.denseUnits[i] === undefined || probes === undefined) {
        if (last && plan.foldLastActivation) {
          h = this.denseLogits(layer, h);
        } else {
          h = layer.apply(h, { training: false }) as tf.Tensor;
        }
        return;
      }
      denseInputs?.push(h);
      const z = tf.add(this.denseLogits(layer, h), probes[probe++]);
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
  const denseUnits = steps.map((layer) => factorisableUnits(layer));
  const foldLastActivation = foldable && steps === layers && denseUnits[steps.length - 1] !== undefined;
  let loss: LossKind = 'softmax-logits';
  if (foldable && steps === layers && !foldLastActivation) loss = activation === 'softmax' ? 'softmax-probabilities' : 'sigmoid-probability';
  else if (activation === 'sigmoid' && units === 1) loss = 'sigmoid-logit';
  return { steps, denseUnits, foldLastActivation, loss };
}

/** The loss of the model's own output, for models that are not run as a chain. */
function outputLoss(model: tfl.LayersModel, units: number): LossKind {
  const last = model.outputs[0].sourceLayer as Layer;
  const activation = last.getClassName() === 'Softmax' ? 'softmax' : activationOf(last);
  if (activation === 'softmax') return 'softmax-probabilities';
  if (activation === 'sigmoid' && units === 1) return 'sigmoid-probability';
  return 'softmax-logits';
}

/** Output units of a Dense layer fed rank-2 input (the factorisable case), else undefined. */
function factorisableUnits(layer: Layer): number | undefined {
  if (layer.getClassName() !== 'Dense' || layer.trainableWeights.length === 0) return undefined;
  const input = layer.inboundNodes[0]?.inputShapes;
  const shape = Array.isArray(input) && Array.isArray(input[0]) ? input[0] : input;
  if (!Array.isArray(shape) || shape.length !== 2) return undefined;
  return (layer.getConfig() as { units: number }).units;
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
