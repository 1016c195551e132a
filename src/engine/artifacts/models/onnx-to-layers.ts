/**
 * An ONNX classifier graph converted into a TF.js Layers functional model config (the
 * Keras JSON `Architecture.topology` holds, which shadows train from fresh seeded
 * weights) plus the model's own weights per layer (for white-box attacks).
 *
 * Layout: ONNX image tensors are NCHW; TF.js convolutions here are channels-last. The
 * converted model takes the same input as the ONNX model ([C, H, W] per record), permutes
 * once to channels-last after the input, and permutes back to channels-first before a
 * Flatten/Reshape, so flattened features come out in PyTorch's order and Gemm weights
 * apply unchanged.
 *
 * Supported: Gemm, MatMul (+ Add of a bias), Conv (2-D; groups 1 or depthwise),
 * Relu, LeakyRelu, Sigmoid, Tanh, Gelu (also as PyTorch's Div-Erf-Add-Mul-Mul), MaxPool,
 * AveragePool, GlobalAveragePool, GlobalMaxPool, BatchNormalization, Flatten, Reshape (shape
 * constant, or computed by Shape-Gather-Unsqueeze-Concat), Squeeze/Unsqueeze of size-1
 * dimensions, NHWC <-> NCHW Transpose, ReduceMean over height and width, Clip as ReLU6,
 * Cast to float, Dropout, Identity, Add of two tensors, Concat, Softmax, LogSoftmax. Anything else is an UnsupportedOnnxOpError naming
 * the operator and the node.
 */
import { InputError } from '../../errors';
import { readOnnxGraph, type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor } from './onnx-graph';
import { MAX_ONNX_BYTES } from './onnx-model';
import { readCapped } from './read-capped';

/** An operator (or an operator's use) the converter cannot express as TF.js layers. */
export class UnsupportedOnnxOpError extends InputError {
  readonly unsupportedOnnxOp = true;
  constructor(readonly opType: string, readonly nodeName: string, readonly detail: string, file: string) {
    super(`ONNX operator ${opType} (node "${nodeName}") cannot be converted to TF.js layers: ${detail}`, { file, field: `graph.node ${nodeName}` });
  }
}

export function isUnsupportedOnnxOpError(e: unknown): e is UnsupportedOnnxOpError {
  return e instanceof UnsupportedOnnxOpError;
}

/** Values of one weight tensor of a layer, in the TF.js layer's layout. */
export interface LayerWeight {
  shape: number[];
  values: Float32Array;
}

/**
 * A converted layer that computes its outputs but cannot be trained or differentiated
 * everywhere: always (`kernels` absent), or on a backend without the named gradient kernels.
 */
export interface TrainingLimit {
  opType: string;
  node: string;
  detail: string;
  kernels?: string[];
}

/** What the model's output means (as layers-model.ts's OutputKind, plus log-probabilities). */
export type ConvertedOutput = 'probabilities' | 'logits' | 'sigmoid' | 'log-probabilities';

export interface OnnxConversion {
  /** Keras functional model config ({class_name: 'Model', config}) with fresh-weight initialisers. */
  topology: Record<string, unknown>;
  /** The ONNX model's own weights, per layer name, in getWeights() order ('own' mode; empty for 'fresh'). */
  weights: Map<string, LayerWeight[]>;
  output: ConvertedOutput;
  /** Shape of one record (ONNX layout, without the batch dimension). */
  inputShape: number[];
  numClasses: number;
  /** Short description, e.g. "Conv2D x3, BatchNormalization x3, Add x1, Dense x1 (from ONNX)". */
  summary: string;
  /** Layers shadows could not train (and white-box attacks not differentiate); see TrainingLimit. */
  trainingLimits: TrainingLimit[];
}

/** A tensor in the graph: which layer output holds it and how its values are laid out. */
interface Value {
  layer: string;
  /** ONNX shape without the batch dimension. */
  shape: number[];
  /** Rank-3 (C, H, W) values are held channels-last (H, W, C) in the TF.js model. */
  channelsLast: boolean;
  /** Known >= 0 (after Relu, Sigmoid, Softmax, ...): max-pool zero padding is then exact. */
  nonNegative: boolean;
}

type Layer = { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };

/** Layers whose activation an ONNX activation node can be folded into. */
const FOLDABLE = new Set(['Dense', 'Conv2D', 'DepthwiseConv2D']);

const TO_CHANNELS_LAST = [2, 3, 1];
const TO_CHANNELS_FIRST = [3, 1, 2];

/** PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases. */
function kernelInitializer(): Record<string, unknown> {
  return { class_name: 'VarianceScaling', config: { scale: 1 / 3, mode: 'fan_in', distribution: 'uniform', seed: null } };
}
function biasInitializer(fanIn: number): Record<string, unknown> {
  const bound = 1 / Math.sqrt(fanIn);
  return { class_name: 'RandomUniform', config: { minval: -bound, maxval: bound, seed: null } };
}

/**
 * 'own': the model as it is, for its own weights (outputs equal onnxruntime's). 'fresh': for
 * training from fresh weights (shadows), where the order of features entering a Dense layer
 * is free: a one-channel image input is declared [H, W, 1] (the same values in the same
 * order as [1, H, W]) and Flatten before Gemm/MatMul keeps channels-last order, which saves
 * two transposes per step and leaves plain Conv/Pool/Dense stacks for the convolutional trainer.
 */
export type ConversionMode = 'own' | 'fresh';

/** Reads and converts an ONNX file; an UnsupportedOnnxOpError names an operator it cannot convert. */
export function readOnnxConversion(file: string, mode: ConversionMode = 'own'): OnnxConversion {
  return convertOnnxGraph(readOnnxGraph(readCapped(file, MAX_ONNX_BYTES, 'ONNX'), file), mode);
}

export function convertOnnxGraph(graph: OnnxGraph, mode: ConversionMode = 'own'): OnnxConversion {
  return new Converter(graph, mode === 'fresh').run();
}

class Converter {
  private readonly layers: Layer[] = [];
  private readonly layerByName = new Map<string, Layer>();
  private readonly weights = new Map<string, LayerWeight[]>();
  private readonly limits: TrainingLimit[] = [];
  /** Tensors computed from the input, by ONNX name. */
  private readonly values = new Map<string, Value>();
  /** Initializers, Constant outputs and shape arithmetic computed at conversion time (batch = -1). */
  private readonly constants = new Map<string, OnnxTensor>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly producers = new Map<string, OnnxNode>();
  private readonly done = new Set<OnnxNode>();
  private readonly counts = new Map<string, number>();
  private readonly file: string;

  constructor(private readonly graph: OnnxGraph, private readonly fresh: boolean) {
    this.file = graph.file;
    for (const [name, t] of graph.initializers) this.constants.set(name, t);
    for (const node of graph.nodes) {
      for (const input of node.inputs) if (input) (this.consumers.get(input) ?? this.consumers.set(input, []).get(input)!).push(node);
      for (const output of node.outputs) this.producers.set(output, node);
    }
    // Constants first: patterns (Gelu, MatMul + Add) look at constants listed after their first node.
    for (const node of graph.nodes) if (node.opType === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) this.foldConstant(node);
  }

  run(): OnnxConversion {
    const { inputs, outputs } = this.graph;
    if (inputs.length !== 1) throw new InputError(`expected one graph input, found ${inputs.length}`, { file: this.file, field: 'graph.input' });
    if (outputs.length < 1) throw new InputError('the graph declares no output', { file: this.file, field: 'graph.output' });
    const input = inputs[0];
    const dims = input.dims ?? [];
    const inputShape = dims.slice(1);
    if (dims.length < 2 || !inputShape.every((d): d is number => typeof d === 'number' && d > 0)) {
      throw new InputError(`input "${input.name}" needs a fixed shape [batch, features...] to be converted, found [${dims.join(', ')}]`, { file: this.file, field: 'graph.input[0]' });
    }
    const inputLayer = this.name('input');
    // One channel: [1, H, W] and [H, W, 1] hold the same values in the same order.
    const oneChannel = this.fresh && inputShape.length === 3 && inputShape[0] === 1;
    const declared = oneChannel ? [inputShape[1], inputShape[2], 1] : inputShape;
    this.layers.push({
      class_name: 'InputLayer', name: inputLayer,
      config: { batch_input_shape: [null, ...declared], dtype: 'float32', sparse: false, name: inputLayer },
      inbound_nodes: [],
    });
    let value: Value = { layer: inputLayer, shape: inputShape, channelsLast: oneChannel, nonNegative: false };
    if (inputShape.length === 3 && !oneChannel) value = this.permute(value, TO_CHANNELS_LAST, true);
    this.values.set(input.name, value);

    const outputName = outputs[0].name;
    const needed = this.needed(outputName);
    for (const node of this.graph.nodes) {
      if (!needed.has(node) || this.done.has(node)) continue;
      this.convert(node);
      this.done.add(node);
    }
    const out = this.values.get(outputName);
    if (!out) throw new InputError(`output "${outputName}" is not computed from the input by supported operators`, { file: this.file, field: 'graph.output[0]' });
    if (out.shape.length !== 1) throw new InputError(`output "${outputName}" has shape [batch, ${out.shape.join(', ')}]; expected [batch, classes]`, { file: this.file, field: 'graph.output[0]' });
    const last = this.producers.get(outputName);
    const units = out.shape[0];
    const output: ConvertedOutput = last?.opType === 'Softmax' ? 'probabilities' : last?.opType === 'LogSoftmax' ? 'log-probabilities'
      : last?.opType === 'Sigmoid' && units === 1 ? 'sigmoid' : 'logits';
    const topology = this.sequential(out.layer) ?? {
      class_name: 'Model',
      config: { name: 'onnx_converted', layers: this.layers, input_layers: [[inputLayer, 0, 0]], output_layers: [[out.layer, 0, 0]] },
    };
    const tally = new Map<string, number>();
    for (const l of this.layers) if (this.weights.has(l.name)) tally.set(l.class_name, (tally.get(l.class_name) ?? 0) + 1);
    const summary = `${[...tally].map(([c, n]) => `${c} x${n}`).join(', ')} (converted from ONNX)`;
    // Fresh mode may order Flatten's features differently from the ONNX weights: never hand those out.
    const weights = this.fresh ? new Map<string, LayerWeight[]>() : this.weights;
    return { topology, weights, output, inputShape, numClasses: units === 1 ? 2 : units, summary, trainingLimits: this.limits };
  }

  /**
   * A chain of layers (each reads the one before it) as a Sequential config, the form
   * Dense-stack training and the dropout defense work on; undefined for any other graph.
   */
  private sequential(output: string): Record<string, unknown> | undefined {
    const [input, ...rest] = this.layers;
    if (rest.length === 0 || rest[rest.length - 1].name !== output) return undefined;
    const chain = rest.every((l, i) => {
      const refs = l.inbound_nodes[0] as unknown[][];
      return refs.length === 1 && refs[0][0] === (i === 0 ? input : rest[i - 1]).name;
    });
    if (!chain) return undefined;
    const layers = rest.map((l, i) => ({
      class_name: l.class_name,
      config: i === 0 ? { ...l.config, batch_input_shape: input.config.batch_input_shape } : l.config,
    }));
    return { class_name: 'Sequential', config: { name: 'onnx_converted', layers } };
  }

  /** Nodes the output depends on (other branches, e.g. unused outputs, are left alone). */
  private needed(output: string): Set<OnnxNode> {
    const set = new Set<OnnxNode>();
    const stack = [output];
    while (stack.length) {
      const node = this.producers.get(stack.pop()!);
      if (!node || set.has(node)) continue;
      set.add(node);
      stack.push(...node.inputs.filter((i) => i));
    }
    return set;
  }

  private name(kind: string): string {
    // Letters and digits only: tfjs camel-cases strings in a config, underscores included.
    const n = this.counts.get(kind) ?? 0;
    this.counts.set(kind, n + 1);
    return `${kind}${n}`;
  }

  private add(className: string, kind: string, config: Record<string, unknown>, inputs: Value[]): string {
    const name = this.name(kind);
    const layer: Layer = {
      class_name: className, name,
      config: { name, trainable: true, dtype: 'float32', ...config },
      inbound_nodes: [inputs.map((v) => [v.layer, 0, 0, {}])],
    };
    this.layers.push(layer);
    this.layerByName.set(name, layer);
    return name;
  }

  private permute(v: Value, dims: number[], channelsLast: boolean): Value {
    const layer = this.add('Permute', 'permute', { dims }, [v]);
    return { ...v, layer, channelsLast };
  }

  /** The value in ONNX's own layout (channels-first again for a channels-last image). */
  private plain(v: Value): Value {
    if (!v.channelsLast) return v;
    // With H = W = 1 both layouts hold the values in the same order.
    if (v.shape[1] === 1 && v.shape[2] === 1) return { ...v, channelsLast: false };
    return this.permute(v, TO_CHANNELS_FIRST, false);
  }

  private unsupported(node: OnnxNode, detail: string): never {
    throw new UnsupportedOnnxOpError(node.opType, node.name, detail, this.file);
  }

  private value(node: OnnxNode, i = 0): Value {
    const name = node.inputs[i];
    const v = this.values.get(name);
    if (v) return v;
    if (this.constants.has(name)) this.unsupported(node, `input ${i} ("${name}") is a constant where a tensor computed from the model's input is expected`);
    throw new InputError(`node "${node.name}" reads "${name}", which no earlier node computes`, { file: this.file, field: `graph.node ${node.name}` });
  }

  private constant(node: OnnxNode, i: number): OnnxTensor | undefined {
    const name = node.inputs[i];
    return name ? this.constants.get(name) : undefined;
  }

  private floats(node: OnnxNode, i: number, what: string): OnnxTensor & { floats: Float32Array } {
    const t = this.constant(node, i);
    if (!t || !t.floats) this.unsupported(node, `its ${what} (input ${i}) must be a float initializer or Constant`);
    return t as OnnxTensor & { floats: Float32Array };
  }

  private set(node: OnnxNode, v: Value): void {
    this.values.set(node.outputs[0], v);
  }

  private convert(node: OnnxNode): void {
    if (node.domain !== '' && node.domain !== 'ai.onnx') this.unsupported(node, `operators of domain "${node.domain}" are not supported`);
    // Nodes whose inputs are all constants are computed now (shape arithmetic, Constant).
    if (this.foldConstant(node)) return;
    switch (node.opType) {
      case 'Identity':
        return this.set(node, this.value(node));
      case 'Cast':
        // Casting the float tensor to float (or double: the TF.js model computes in float32).
        if (![1, 11].includes(Number(attr(node, 'to', 0)))) this.unsupported(node, `casting to ONNX data type ${String(attr(node, 'to', '?'))} is not supported`);
        return this.set(node, this.value(node));
      case 'Clip':
        return this.clip(node);
      case 'ReduceMean':
        return this.reduceMean(node);
      case 'Squeeze':
      case 'Unsqueeze':
        return this.squeeze(node);
      case 'Transpose':
        return this.transpose(node);
      case 'Dropout': {
        const ratio = node.attributes.get('ratio') ?? this.constant(node, 1)?.floats?.[0] ?? 0.5;
        const v = this.value(node);
        return this.set(node, { ...v, layer: this.add('Dropout', 'dropout', { rate: Number(ratio), noise_shape: null, seed: null }, [v]) });
      }
      case 'Gemm':
        return this.gemm(node);
      case 'MatMul':
        return this.matMul(node);
      case 'Conv':
        return this.conv(node);
      case 'BatchNormalization':
        return this.batchNorm(node);
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
        return this.activation(node, node.opType.toLowerCase(), true);
      case 'Gelu': {
        const approximate = attr(node, 'approximate', 'none');
        return this.activation(node, approximate === 'tanh' ? 'gelu_new' : 'gelu', false);
      }
      case 'LeakyRelu': {
        const v = this.value(node);
        const alpha = Number(attr(node, 'alpha', 0.01));
        return this.set(node, { ...v, layer: this.add('LeakyReLU', 'leakyrelu', { alpha }, [v]), nonNegative: false });
      }
      case 'Div':
      case 'Mul':
        if (this.gelu(node)) return;
        // x * 0.5 listed before the x / sqrt 2 that starts the same Gelu.
        for (const sibling of this.consumers.get(node.inputs.find((n) => this.values.has(n)) ?? '') ?? []) {
          if (sibling !== node && (sibling.opType === 'Div' || sibling.opType === 'Mul') && !this.done.has(sibling) && this.gelu(sibling) && this.done.has(node)) return;
        }
        return this.unsupported(node, 'element-wise Mul/Div is only converted as part of a Gelu (x * 0.5 * (1 + erf(x / sqrt 2)))');
      case 'Softmax':
      case 'LogSoftmax':
        return this.softmax(node);
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(node);
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        return this.globalPool(node);
      case 'Pad':
        return this.pad(node);
      case 'Flatten':
        return this.flatten(node);
      case 'Reshape':
        return this.reshape(node);
      case 'Add':
        return this.addNode(node);
      case 'Concat':
        return this.concat(node);
      default:
        return this.unsupported(node, 'no TF.js layer equivalent is implemented');
    }
  }

  private activation(node: OnnxNode, activation: string, keepsSign: boolean): void {
    const v = this.value(node);
    const layer = this.foldActivation(node.inputs[0], v, activation) ?? this.add('Activation', 'activation', { activation }, [v]);
    const nonNegative = activation === 'relu' || activation === 'relu6' || activation === 'sigmoid' || (keepsSign && v.nonNegative && activation !== 'tanh');
    this.set(node, { ...v, layer, nonNegative });
  }

  /**
   * The activation set on the Dense/convolution layer that computes `input`, as Keras
   * models are written (a Dense stack then trains with the fast stacked trainer), when
   * nothing else reads the layer's linear output; undefined when it cannot be.
   */
  private foldActivation(input: string, v: Value, activation: string): string | undefined {
    const layer = this.layerByName.get(v.layer);
    if (!layer || !FOLDABLE.has(layer.class_name) || layer.config.activation !== 'linear') return undefined;
    if ((this.consumers.get(input) ?? []).length !== 1 || this.graph.outputs.some((o) => o.name === input)) return undefined;
    layer.config.activation = activation;
    return layer.name;
  }

  private dense(node: OnnxNode, v: Value, kernel: Float32Array, inUnits: number, units: number, bias: Float32Array | undefined): Value {
    if (v.shape.length !== 1) this.unsupported(node, `its input has shape [batch, ${v.shape.join(', ')}]; only [batch, features] is converted`);
    if (v.shape[0] !== inUnits) this.unsupported(node, `its weight takes ${inUnits} features but its input has ${v.shape[0]}`);
    const layer = this.add('Dense', 'dense', {
      units, activation: 'linear', use_bias: bias !== undefined,
      kernel_initializer: kernelInitializer(), bias_initializer: biasInitializer(inUnits),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    }, [v]);
    const w: LayerWeight[] = [{ shape: [inUnits, units], values: kernel }];
    if (bias) w.push({ shape: [units], values: bias });
    this.weights.set(layer, w);
    return { layer, shape: [units], channelsLast: false, nonNegative: false };
  }

  private gemm(node: OnnxNode): void {
    const v = this.value(node);
    if (Number(attr(node, 'transA', 0)) !== 0) this.unsupported(node, 'transA = 1 (a transposed input) is not supported');
    const b = this.floats(node, 1, 'weight B');
    if (b.dims.length !== 2) this.unsupported(node, `weight B has dims [${b.dims.join(', ')}]; expected 2-D`);
    const transB = Number(attr(node, 'transB', 0)) !== 0;
    const alpha = Number(attr(node, 'alpha', 1));
    const beta = Number(attr(node, 'beta', 1));
    const [inUnits, units] = transB ? [b.dims[1], b.dims[0]] : b.dims;
    const kernel = new Float32Array(inUnits * units);
    for (let i = 0; i < inUnits; i++) {
      for (let j = 0; j < units; j++) kernel[i * units + j] = alpha * (transB ? b.floats[j * inUnits + i] : b.floats[i * units + j]);
    }
    let bias: Float32Array | undefined;
    if (node.inputs[2]) {
      const c = this.floats(node, 2, 'bias C');
      bias = this.broadcastBias(node, c, units).map((x) => beta * x);
    }
    this.set(node, this.dense(node, v, kernel, inUnits, units, bias));
  }

  /** A bias of shape [], [1], [units] or [1, units] as [units] values. */
  private broadcastBias(node: OnnxNode, c: OnnxTensor & { floats: Float32Array }, units: number): Float32Array {
    if (c.floats.length === units) return Float32Array.from(c.floats);
    if (c.floats.length === 1) return new Float32Array(units).fill(c.floats[0]);
    return this.unsupported(node, `its bias has dims [${c.dims.join(', ')}], which does not broadcast to [${units}]`);
  }

  private matMul(node: OnnxNode): void {
    const v = this.value(node);
    const b = this.floats(node, 1, 'weight');
    if (b.dims.length !== 2) this.unsupported(node, `weight has dims [${b.dims.join(', ')}]; expected 2-D`);
    const [inUnits, units] = b.dims;
    // MatMul followed by Add of a constant (how some exporters write a Linear layer): one Dense.
    const next = this.consumers.get(node.outputs[0]) ?? [];
    const addNode = next.length === 1 && next[0].opType === 'Add' ? next[0] : undefined;
    const biasInput = addNode ? addNode.inputs.findIndex((n) => n !== node.outputs[0] && this.constants.get(n)?.floats) : -1;
    if (addNode && biasInput >= 0) {
      const bias = this.broadcastBias(addNode, this.constants.get(addNode.inputs[biasInput]) as OnnxTensor & { floats: Float32Array }, units);
      const out = this.dense(node, v, Float32Array.from(b.floats), inUnits, units, bias);
      this.set(node, out);
      this.values.set(addNode.outputs[0], out);
      this.done.add(addNode);
      return;
    }
    this.set(node, this.dense(node, v, Float32Array.from(b.floats), inUnits, units, undefined));
  }

  /** Explicit [top, left, bottom, right] pads from pads / auto_pad. */
  private pads(node: OnnxNode, hw: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
    const autoPad = String(attr(node, 'auto_pad', 'NOTSET'));
    if (autoPad === 'VALID') return [0, 0, 0, 0];
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const total = hw.map((n, i) => Math.max(0, (Math.ceil(n / strides[i]) - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - n));
      const small = total.map((t) => Math.floor(t / 2));
      const large = total.map((t, i) => t - small[i]);
      return autoPad === 'SAME_UPPER' ? [...small, ...large] : [...large, ...small];
    }
    const pads = ints(node, 'pads', [0, 0, 0, 0]);
    if (pads.length !== 4) this.unsupported(node, `pads [${pads.join(', ')}] are not 2-D`);
    return pads;
  }

  /** True when explicit pads are TensorFlow's 'same' padding (the odd one at the end), so no ZeroPadding2D is needed. */
  private isTfSame(pads: number[], hw: number[], kernel: number[], strides: number[], dilations: number[]): boolean {
    if (pads.every((p) => p === 0)) return false;
    const total = hw.map((n, i) => Math.max(0, (Math.ceil(n / strides[i]) - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - n));
    const begin = total.map((t) => Math.floor(t / 2));
    return [...begin, ...total.map((t, i) => t - begin[i])].every((p, i) => p === pads[i]);
  }

  private zeroPad(v: Value, pads: number[]): Value {
    if (pads.every((p) => p === 0)) return v;
    const [t, l, b, r] = pads;
    const layer = this.add('ZeroPadding2D', 'zeropad', { padding: [[t, b], [l, r]], data_format: 'channels_last' }, [v]);
    return { ...v, layer, shape: [v.shape[0], v.shape[1] + t + b, v.shape[2] + l + r] };
  }

  private image(node: OnnxNode): Value {
    const v = this.value(node);
    if (v.shape.length !== 3 || !v.channelsLast) this.unsupported(node, `only 2-D images [batch, channels, height, width] are converted; its input has shape [batch, ${v.shape.join(', ')}]`);
    return v;
  }

  private conv(node: OnnxNode): void {
    let v = this.image(node);
    const w = this.floats(node, 1, 'weight');
    if (w.dims.length !== 4) this.unsupported(node, `weight has dims [${w.dims.join(', ')}]; only 2-D convolutions are converted`);
    const [filters, perGroup, kh, kw] = w.dims;
    const channels = v.shape[0];
    const group = Number(attr(node, 'group', 1));
    const strides = ints(node, 'strides', [1, 1]);
    const dilations = ints(node, 'dilations', [1, 1]);
    if (strides.some((s) => s > 1) && dilations.some((d) => d > 1)) this.unsupported(node, 'strides > 1 together with dilations > 1 are not supported by TF.js convolutions');
    const depthwise = group > 1 && group === channels && perGroup === 1;
    if (group !== 1 && !depthwise) this.unsupported(node, `group = ${group} with ${channels} input channels: only group = 1 and depthwise (group = channels) convolutions are converted`);
    if (!depthwise && perGroup !== channels) this.unsupported(node, `weight takes ${perGroup} channels but the input has ${channels}`);
    const hw = [v.shape[1], v.shape[2]];
    const pads = this.pads(node, hw, [kh, kw], strides, dilations);
    // Zero padding either way: TF's 'same' is exact when the pads are its split.
    const same = this.isTfSame(pads, hw, [kh, kw], strides, dilations);
    if (!same) v = this.zeroPad(v, pads);
    if (dilations.some((d) => d > 1)) {
      this.limits.push({ opType: 'Conv', node: node.name, detail: `dilations [${dilations.join(', ')}]: TF.js has no gradient for dilated convolutions, so the converted model runs but cannot be trained or differentiated` });
    }
    if (depthwise) {
      this.limits.push({
        opType: 'Conv', node: node.name, detail: `group = ${group} (depthwise): this TF.js backend has no gradient for depthwise convolutions, so the converted model runs but cannot be trained or differentiated`,
        kernels: ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'],
      });
    }
    const bias = node.inputs[2] ? this.floats(node, 2, 'bias').floats : undefined;
    const fanIn = perGroup * kh * kw;
    const common = {
      kernel_size: [kh, kw], strides, padding: same ? 'same' : 'valid', data_format: 'channels_last', dilation_rate: dilations, activation: 'linear', use_bias: bias !== undefined,
      bias_initializer: biasInitializer(fanIn), bias_regularizer: null, activity_regularizer: null, bias_constraint: null,
    };
    let layer: string;
    let kernel: Float32Array;
    let kernelShape: number[];
    if (depthwise) {
      const multiplier = filters / channels;
      layer = this.add('DepthwiseConv2D', 'depthwise', {
        ...common, depth_multiplier: multiplier, depthwise_initializer: kernelInitializer(), depthwise_regularizer: null, depthwise_constraint: null,
      }, [v]);
      // ONNX [C*m, 1, kh, kw] (output channel c*m + j) -> TF.js [kh, kw, C, m].
      kernelShape = [kh, kw, channels, multiplier];
      kernel = new Float32Array(filters * kh * kw);
      for (let o = 0; o < filters; o++) {
        const c = Math.floor(o / multiplier);
        const j = o % multiplier;
        for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) kernel[((y * kw + x) * channels + c) * multiplier + j] = w.floats[(o * kh + y) * kw + x];
      }
    } else {
      layer = this.add('Conv2D', 'conv', {
        ...common, filters, kernel_initializer: kernelInitializer(), kernel_regularizer: null, kernel_constraint: null,
      }, [v]);
      // ONNX [M, C, kh, kw] -> TF.js [kh, kw, C, M].
      kernelShape = [kh, kw, channels, filters];
      kernel = new Float32Array(filters * channels * kh * kw);
      for (let o = 0; o < filters; o++) {
        for (let c = 0; c < channels; c++) {
          for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) kernel[((y * kw + x) * channels + c) * filters + o] = w.floats[((o * channels + c) * kh + y) * kw + x];
        }
      }
    }
    const weights: LayerWeight[] = [{ shape: kernelShape, values: kernel }];
    if (bias) weights.push({ shape: [filters], values: Float32Array.from(bias) });
    this.weights.set(layer, weights);
    const out = same ? hw.map((n, i) => Math.ceil(n / strides[i]))
      : [1, 2].map((d, i) => Math.floor((v.shape[d] - ((i === 0 ? kh : kw) - 1) * dilations[i] - 1) / strides[i]) + 1);
    if (out.some((n) => n < 1)) this.unsupported(node, `its output would be empty for an input of ${v.shape[1]}x${v.shape[2]}`);
    this.set(node, { layer, shape: [filters, out[0], out[1]], channelsLast: true, nonNegative: false });
  }

  private batchNorm(node: OnnxNode): void {
    const v = this.value(node);
    if (node.outputs.length > 1 && node.outputs.slice(1).some((o) => o && this.consumers.has(o))) this.unsupported(node, 'training-mode outputs (running mean and variance) are not supported');
    const channels = v.shape[0];
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => this.floats(node, i, ['scale', 'bias', 'mean', 'variance'][i - 1]).floats);
    if ([scale, bias, mean, variance].some((a) => a.length !== channels)) this.unsupported(node, `its parameters do not have one value per channel (${channels})`);
    if (v.shape.length !== 1 && !(v.shape.length === 3 && v.channelsLast)) this.unsupported(node, `input of shape [batch, ${v.shape.join(', ')}] is not supported`);
    const layer = this.add('BatchNormalization', 'batchnorm', {
      axis: -1, momentum: Number(attr(node, 'momentum', 0.9)), epsilon: Number(attr(node, 'epsilon', 1e-5)), center: true, scale: true,
      beta_initializer: { class_name: 'Zeros', config: {} }, gamma_initializer: { class_name: 'Ones', config: {} },
      moving_mean_initializer: { class_name: 'Zeros', config: {} }, moving_variance_initializer: { class_name: 'Ones', config: {} },
      beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
    }, [v]);
    this.weights.set(layer, [scale, bias, mean, variance].map((a) => ({ shape: [channels], values: Float32Array.from(a) })));
    this.set(node, { ...v, layer, nonNegative: false });
  }

  private softmax(node: OnnxNode): void {
    const v = this.value(node);
    const rank = v.shape.length + 1;
    const defaultAxis = this.graph.opset >= 13 ? -1 : 1;
    const axis = Number(attr(node, 'axis', defaultAxis));
    if (rank !== 2 || (axis !== 1 && axis !== -1)) this.unsupported(node, `only a softmax over the classes of a [batch, classes] tensor is converted (found rank ${rank}, axis ${axis})`);
    const log = node.opType === 'LogSoftmax';
    // tfjs-layers registers a "logSoftmax" activation (not in its typings), which deserialises by name.
    const layer = (log ? undefined : this.foldActivation(node.inputs[0], v, 'softmax')) ?? this.add('Activation', 'activation', { activation: log ? 'logSoftmax' : 'softmax' }, [v]);
    this.set(node, { ...v, layer, nonNegative: !log });
  }

  private pool(node: OnnxNode): void {
    let v = this.image(node);
    const max = node.opType === 'MaxPool';
    if (max && node.outputs[1] && this.consumers.has(node.outputs[1])) this.unsupported(node, 'its Indices output is used');
    const kernel = ints(node, 'kernel_shape', []);
    if (kernel.length !== 2) this.unsupported(node, `kernel_shape [${kernel.join(', ')}] is not 2-D`);
    const strides = ints(node, 'strides', [1, 1]);
    const dilations = ints(node, 'dilations', [1, 1]);
    if (dilations.some((d) => d !== 1)) this.unsupported(node, 'dilated pooling is not supported');
    const pads = this.pads(node, [v.shape[1], v.shape[2]], kernel, strides, dilations);
    const size = (ceil: boolean) => [0, 1].map((i) => {
      const span = v.shape[i + 1] + pads[i] + pads[i + 2] - kernel[i];
      return (ceil ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1;
    });
    const out = size(false);
    if (Number(attr(node, 'ceil_mode', 0)) === 1 && size(true).some((n, i) => n !== out[i])) this.unsupported(node, 'ceil_mode = 1 changes the output size here, which TF.js pooling cannot do');
    const padded = pads.some((p) => p > 0);
    const includePad = Number(attr(node, 'count_include_pad', 0)) === 1;
    // TF's 'same' pooling ignores padded positions, as ONNX max pooling (-inf pads) and average pooling without count_include_pad do.
    const same = this.isTfSame(pads, [v.shape[1], v.shape[2]], kernel, strides, dilations) && (max || !includePad);
    if (padded && !same) {
      if (max && !v.nonNegative) this.unsupported(node, 'max pooling with pads other than TF\'s \'same\' split on an input that may be negative (ONNX pads with -inf, TF.js here with zeros)');
      if (!max && !includePad) this.unsupported(node, 'average pooling with pads other than TF\'s \'same\' split and count_include_pad = 0 is not supported');
      v = this.zeroPad(v, pads);
    }
    const layer = this.add(max ? 'MaxPooling2D' : 'AveragePooling2D', max ? 'maxpool' : 'avgpool', {
      pool_size: kernel, strides, padding: same ? 'same' : 'valid', data_format: 'channels_last',
    }, [v]);
    this.set(node, { ...v, layer, shape: [v.shape[0], out[0], out[1]] });
  }

  /** Constant zero padding of height and width (PyTorch writes AvgPool2d as Pad + AveragePool). */
  private pad(node: OnnxNode): void {
    const v = this.image(node);
    const mode = String(attr(node, 'mode', 'constant'));
    const pads = this.graph.opset >= 11 ? this.constant(node, 1)?.ints : ints(node, 'pads', []);
    const fill = this.graph.opset >= 11 ? (this.constant(node, 2)?.floats?.[0] ?? 0) : Number(attr(node, 'value', 0));
    if (mode !== 'constant' || fill !== 0) this.unsupported(node, `only constant zero padding is converted (mode ${mode}, value ${fill})`);
    if (!pads || pads.length !== 8) this.unsupported(node, 'its pads must be a constant of 8 values (begin and end of N, C, H, W)');
    if (this.graph.opset >= 18 && node.inputs[3]) this.unsupported(node, 'padding selected axes (input 3) is not supported');
    const [n0, c0, t, l, n1, c1, b, r] = pads;
    if (n0 || c0 || n1 || c1 || [t, l, b, r].some((p) => p < 0)) this.unsupported(node, `only non-negative padding of height and width is converted (pads [${pads.join(', ')}])`);
    this.set(node, { ...this.zeroPad(v, [t, l, b, r]), nonNegative: false });
  }

  /** Clip(0, 6) is ReLU6 and Clip(0, +inf) ReLU; other bounds have no TF.js activation. */
  private clip(node: OnnxNode): void {
    const bound = (i: number, name: string, fallback: number) => {
      if (this.graph.opset < 11) return Number(attr(node, name, fallback));
      if (!node.inputs[i]) return fallback;
      const t = this.constant(node, i);
      if (!t?.floats || t.floats.length !== 1) this.unsupported(node, `its ${name} (input ${i}) must be a constant scalar`);
      return t.floats[0];
    };
    const min = bound(1, 'min', -Infinity);
    const max = bound(2, 'max', Infinity);
    if (min === 0 && max === 6) return this.activation(node, 'relu6', true);
    if (min === 0 && max >= 3.4e38) return this.activation(node, 'relu', true);
    this.unsupported(node, `only Clip(0, 6) (ReLU6) and Clip(0, inf) (ReLU) are converted, found Clip(${min}, ${max})`);
  }

  /** ReduceMean over height and width (x.mean([2, 3]) in PyTorch): global average pooling. */
  private reduceMean(node: OnnxNode): void {
    const v = this.image(node);
    const axes = (this.graph.opset >= 18 ? this.constant(node, 1)?.ints : ints(node, 'axes', [])) ?? [];
    const normal = [...axes].map((a) => (a < 0 ? a + 4 : a)).sort();
    if (normal.length !== 2 || normal[0] !== 2 || normal[1] !== 3) this.unsupported(node, `only a mean over height and width (axes 2, 3) is converted, found axes [${axes.join(', ')}]`);
    const keep = Number(attr(node, 'keepdims', 1)) === 1;
    const pooled = this.add('GlobalAveragePooling2D', 'gap', { data_format: 'channels_last' }, [v]);
    if (!keep) return this.set(node, { layer: pooled, shape: [v.shape[0]], channelsLast: false, nonNegative: v.nonNegative });
    const layer = this.add('Reshape', 'reshape', { target_shape: [1, 1, v.shape[0]] }, [{ ...v, layer: pooled }]);
    this.set(node, { ...v, layer, shape: [v.shape[0], 1, 1] });
  }

  /** Squeeze / Unsqueeze that only adds or drops size-1 dimensions: a reshape of the same values. */
  private squeeze(node: OnnxNode): void {
    const v = this.value(node);
    const rank = v.shape.length + 1;
    const axes = this.graph.opset >= 13 ? (this.constant(node, 1)?.ints ?? []) : ints(node, 'axes', []);
    let shape: number[];
    if (node.opType === 'Squeeze') {
      const drop = new Set((axes.length ? axes : v.shape.map((d, i) => (d === 1 ? i + 1 : -1)).filter((i) => i > 0)).map((a) => (a < 0 ? a + rank : a)));
      if (drop.has(0) || [...drop].some((a) => v.shape[a - 1] !== 1)) this.unsupported(node, `it squeezes axes [${[...drop].join(', ')}] of [batch, ${v.shape.join(', ')}], not all of size 1`);
      shape = v.shape.filter((_, i) => !drop.has(i + 1));
    } else {
      shape = [...v.shape];
      const outRank = rank + axes.length;
      for (const a of [...axes].map((x) => (x < 0 ? x + outRank : x)).sort((x, y) => x - y)) {
        if (a === 0) this.unsupported(node, 'unsqueezing the batch axis is not supported');
        shape.splice(a - 1, 0, 1);
      }
    }
    this.reshapeTo(node, v, shape);
  }

  /**
   * The two layout transposes: NHWC -> NCHW (perm 0,3,1,2; how TensorFlow exports start)
   * and NCHW -> NHWC (0,2,3,1). Channels-last values already hold the NHWC order, so these
   * relabel the same layer output instead of moving data.
   */
  private transpose(node: OnnxNode): void {
    const v = this.value(node);
    const perm = ints(node, 'perm', []).join(',');
    if (v.shape.length === 3 && perm === '0,3,1,2') {
      const p = this.plain(v);
      return this.set(node, { ...p, shape: [p.shape[2], p.shape[0], p.shape[1]], channelsLast: true });
    }
    if (v.shape.length === 3 && perm === '0,2,3,1') {
      const c = v.channelsLast ? v : this.permute(v, TO_CHANNELS_LAST, true);
      return this.set(node, { ...c, shape: [v.shape[1], v.shape[2], v.shape[0]], channelsLast: false });
    }
    if (v.shape.length === 1 && perm === '0,1') return this.set(node, v);
    this.unsupported(node, `only the NHWC <-> NCHW transposes of 4-D tensors are converted, found perm [${perm}] on rank ${v.shape.length + 1}`);
  }

  private globalPool(node: OnnxNode): void {
    const v = this.image(node);
    const avg = node.opType === 'GlobalAveragePool';
    const pooled = this.add(avg ? 'GlobalAveragePooling2D' : 'GlobalMaxPooling2D', avg ? 'gap' : 'gmp', { data_format: 'channels_last' }, [v]);
    // ONNX keeps [C, 1, 1]; so does the converted model, so later layers see ONNX's rank.
    const layer = this.add('Reshape', 'reshape', { target_shape: [1, 1, v.shape[0]] }, [{ ...v, layer: pooled }]);
    this.set(node, { ...v, layer, shape: [v.shape[0], 1, 1] });
  }

  private flatten(node: OnnxNode): void {
    const v = this.value(node);
    const axis = Number(attr(node, 'axis', 1));
    if (axis !== 1) this.unsupported(node, `axis = ${axis}: only flattening everything but the batch (axis 1) is converted`);
    if (v.shape.length === 1) return this.set(node, v);
    this.flattenTo(node, v);
  }

  /** Flatten in ONNX's (channels-first) order, or in fresh mode channels-last when only fresh Dense weights read it. */
  private flattenTo(node: OnnxNode, v: Value): void {
    const readers = this.consumers.get(node.outputs[0]) ?? [];
    const orderFree = this.fresh && readers.length > 0 && readers.every((n) => n.opType === 'Gemm' || n.opType === 'MatMul')
      && !this.graph.outputs.some((o) => o.name === node.outputs[0]);
    const p = orderFree ? v : this.plain(v);
    const layer = this.add('Flatten', 'flatten', {}, [p]);
    this.set(node, { ...p, layer, shape: [v.shape.reduce((a, b) => a * b, 1)], channelsLast: false });
  }

  private reshape(node: OnnxNode): void {
    const v = this.value(node);
    const target = this.constant(node, 1)?.ints;
    if (!target) this.unsupported(node, 'its shape (input 1) is not a constant, nor computed from constants and input shapes');
    const total = v.shape.reduce((a, b) => a * b, 1);
    // The first entry is the batch (a number, 0 = copy, or -1 from Shape of a dynamic batch).
    const rest = target.slice(1).map((d, i) => (d === 0 && Number(attr(node, 'allowzero', 0)) === 0 ? v.shape[i] ?? this.unsupported(node, `dimension ${i + 1} copies an input dimension that does not exist`) : d));
    const known = rest.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const free = rest.filter((d) => d === -1).length;
    if (free > 1 || (free === 1 ? total % known !== 0 : known !== total)) {
      this.unsupported(node, `shape [${target.join(', ')}] does not fit a batch of [${v.shape.join(', ')}] tensors`);
    }
    this.reshapeTo(node, v, rest.map((d) => (d === -1 ? total / known : d)));
  }

  /** `v` with ONNX shape `shape` (same values in ONNX order), image-rank results held channels-last. */
  private reshapeTo(node: OnnxNode, v: Value, shape: number[]): void {
    if (shape.length === v.shape.length && shape.every((d, i) => d === v.shape[i])) return this.set(node, v);
    if (shape.length === 1 && v.shape.length > 1) return this.flattenTo(node, v);
    const p = this.plain(v);
    let out: Value = { ...p, layer: this.add('Reshape', 'reshape', { target_shape: shape }, [p]), shape, channelsLast: false };
    if (shape.length === 3) out = this.permute(out, TO_CHANNELS_LAST, true);
    this.set(node, out);
  }

  private addNode(node: OnnxNode): void {
    const [a, b] = [0, 1].map((i) => (this.values.has(node.inputs[i]) ? this.values.get(node.inputs[i])! : undefined));
    if (!a || !b) this.unsupported(node, 'adding a constant is only converted as the bias of a MatMul');
    let [x, y] = [a, b];
    if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) {
      this.unsupported(node, `broadcasting [${x.shape.join(', ')}] + [${y.shape.join(', ')}] is not supported; both tensors must have the same shape`);
    }
    if (x.channelsLast !== y.channelsLast) [x, y] = [this.plain(x), this.plain(y)];
    const layer = this.add('Add', 'add', {}, [x, y]);
    this.set(node, { ...x, layer, nonNegative: x.nonNegative && y.nonNegative });
  }

  private concat(node: OnnxNode): void {
    let parts = node.inputs.map((_, i) => this.value(node, i));
    const rank = parts[0].shape.length;
    let axis = Number(attr(node, 'axis', 1));
    if (axis < 0) axis += rank + 1;
    if (axis === 0) this.unsupported(node, 'concatenation along the batch axis is not supported');
    if (parts.some((p) => p.shape.length !== rank)) this.unsupported(node, 'its inputs have different ranks');
    const channelsLast = parts.every((p) => p.channelsLast);
    if (!channelsLast) parts = parts.map((p) => this.plain(p));
    const sizes = parts.map((p) => p.shape[axis - 1]);
    const shape = [...parts[0].shape];
    shape[axis - 1] = sizes.reduce((s, n) => s + n, 0);
    // Channels-last images: ONNX axes C, H, W (1, 2, 3) are TF.js axes 3, 1, 2.
    const tfAxis = channelsLast && rank === 3 ? [3, 1, 2][axis - 1] : axis;
    const layer = parts.length === 1 ? parts[0].layer : this.add('Concatenate', 'concat', { axis: tfAxis }, parts);
    this.set(node, { layer, shape, channelsLast: channelsLast && rank === 3, nonNegative: parts.every((p) => p.nonNegative) });
  }

  /**
   * PyTorch's exact GELU before opset 20: y = (x * (1 + erf(x / sqrt 2))) * 0.5, as
   * Div (or Mul by 1/sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5 (either order of the
   * last two). Matched from its first node; true when matched and converted.
   */
  private gelu(first: OnnxNode): boolean {
    const x = first.inputs.find((n) => this.values.has(n));
    const c = first.inputs.find((n) => this.scalar(n) !== undefined);
    if (x === undefined || c === undefined) return false;
    const k = this.scalar(c)!;
    const scaled = first.opType === 'Div' ? Math.abs(k - Math.SQRT2) < 1e-4 : Math.abs(k - Math.SQRT1_2) < 1e-4;
    if (!scaled) return false;
    const only = (name: string, op: string) => {
      const next = this.consumers.get(name) ?? [];
      return next.length === 1 && next[0].opType === op ? next[0] : undefined;
    };
    const erf = only(first.outputs[0], 'Erf');
    const plusOne = erf && only(erf.outputs[0], 'Add');
    if (!plusOne || !plusOne.inputs.some((n) => this.scalar(n) === 1)) return false;
    const m1 = only(plusOne.outputs[0], 'Mul');
    if (!m1) return false;
    const parts = new Set([first, erf!, plusOne, m1]);
    let last: OnnxNode | undefined;
    if (m1.inputs.includes(x)) {
      const m2 = only(m1.outputs[0], 'Mul');
      if (m2 && m2.inputs.some((n) => this.scalar(n) === 0.5)) last = m2;
    } else {
      // (x * 0.5) * (1 + erf(...)), the x * 0.5 read by nothing else.
      const half = this.producers.get(m1.inputs.find((n) => n !== plusOne.outputs[0]) ?? '');
      if (half?.opType === 'Mul' && half.inputs.includes(x) && half.inputs.some((n) => this.scalar(n) === 0.5) && only(half.outputs[0], 'Mul') === m1) {
        parts.add(half);
        last = m1;
      }
    }
    if (!last) return false;
    parts.add(last);
    for (const n of parts) this.done.add(n);
    const v = this.values.get(x)!;
    // The activation folds into the layer computing x only when nothing but this pattern reads x.
    const readers = this.consumers.get(x) ?? [];
    const layer = (readers.every((n) => parts.has(n)) ? this.foldGelu(x, v) : undefined) ?? this.add('Activation', 'activation', { activation: 'gelu' }, [v]);
    this.values.set(last.outputs[0], { ...v, layer, nonNegative: false });
    return true;
  }

  private foldGelu(input: string, v: Value): string | undefined {
    const layer = this.layerByName.get(v.layer);
    if (!layer || !FOLDABLE.has(layer.class_name) || layer.config.activation !== 'linear' || this.graph.outputs.some((o) => o.name === input)) return undefined;
    layer.config.activation = 'gelu';
    return layer.name;
  }

  private scalar(name: string): number | undefined {
    const t = this.constants.get(name);
    const values = t?.floats ?? t?.ints;
    return values && values.length === 1 ? values[0] : undefined;
  }

  /**
   * Constant and shape arithmetic computed at conversion time: Constant, and Shape,
   * Gather, Unsqueeze, Squeeze, Concat, Cast when their inputs are known. A dynamic batch
   * dimension becomes -1 (Reshape reads its first entry as the batch).
   */
  private foldConstant(node: OnnxNode): boolean {
    const out = node.outputs[0];
    if (node.opType === 'Constant') {
      const t = node.attributes.get('value');
      if (isTensor(t)) this.constants.set(out, t);
      else if (typeof node.attributes.get('value_float') === 'number') this.constants.set(out, { name: out, dims: [], floats: Float32Array.of(node.attributes.get('value_float') as number) });
      else if (Array.isArray(node.attributes.get('value_ints'))) {
        const v = node.attributes.get('value_ints') as number[];
        this.constants.set(out, { name: out, dims: [v.length], ints: v });
      } else if (typeof node.attributes.get('value_int') === 'number') this.constants.set(out, { name: out, dims: [], ints: [node.attributes.get('value_int') as number] });
      else this.unsupported(node, 'only tensor, float and integer Constant values are supported');
      return true;
    }
    if (node.opType === 'Shape' && this.values.has(node.inputs[0])) {
      const shape = [-1, ...this.values.get(node.inputs[0])!.shape];
      this.constants.set(out, { name: out, dims: [shape.length], ints: shape });
      return true;
    }
    const inputs = node.inputs.filter((n) => n);
    if (inputs.length === 0 || !inputs.every((n) => this.constants.has(n))) return false;
    const t = inputs.map((n) => this.constants.get(n)!);
    const intsOf = (x: OnnxTensor) => x.ints ?? (x.floats ? Array.from(x.floats) : []);
    switch (node.opType) {
      case 'Cast':
      case 'Identity':
        this.constants.set(out, { ...t[0], name: out });
        return true;
      case 'Gather': {
        if (!t[0].ints || t[0].dims.length !== 1 || Number(attr(node, 'axis', 0)) !== 0) return false;
        const idx = intsOf(t[1]).map((i) => t[0].ints![i < 0 ? i + t[0].ints!.length : i]);
        this.constants.set(out, { name: out, dims: t[1].dims, ints: idx });
        return true;
      }
      case 'Unsqueeze':
      case 'Squeeze': {
        const values = intsOf(t[0]);
        if (values.length !== 1 && node.opType === 'Unsqueeze' && t[0].dims.length > 0) return false;
        const dims = node.opType === 'Unsqueeze' ? [values.length] : [];
        this.constants.set(out, t[0].floats ? { name: out, dims, floats: t[0].floats } : { name: out, dims, ints: values });
        return true;
      }
      case 'Concat': {
        if (!t.every((x) => x.ints && x.dims.length <= 1)) return false;
        const ints = t.flatMap((x) => x.ints!);
        this.constants.set(out, { name: out, dims: [ints.length], ints });
        return true;
      }
      default:
        return false;
    }
  }
}

function isTensor(x: OnnxAttribute | undefined): x is OnnxTensor {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function attr(node: OnnxNode, name: string, fallback: number | string): number | string {
  const v = node.attributes.get(name);
  return typeof v === 'number' || typeof v === 'string' ? v : fallback;
}

function ints(node: OnnxNode, name: string, fallback: number[]): number[] {
  const v = node.attributes.get(name);
  return Array.isArray(v) ? v : fallback;
}
