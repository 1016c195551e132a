/**
 * Trains one convolutional shadow on our own WebAssembly SIMD kernels (simd-kernels.ts),
 * the way stacked-mlp.ts trains Dense stacks: a hand-written forward and backward pass
 * over one block of kernel memory, and one Adam (or SGD) pass over all parameters.
 *
 * Convolutions are im2col + GEMM: the forward product is cols[B*OH*OW, kh*kw*cin] x
 * kernel[kh*kw*cin, cout] (the TF.js kernel layout read as a matrix), the filter
 * gradient cols^T x dZ reads cols through strides (no transposed copy), and the input
 * gradient dZ x kernel^T is folded back onto the pixels by col2im into the buffer cols
 * held (the filter gradient is taken first). A 1x1 convolution with stride 1 needs no
 * im2col: its input already is the cols matrix. Why im2col rather than direct: on the
 * benchmark's second convolution (batch 128, 14x14x16 -> 32, 3x3 'same') the forward
 * measured 6.7-8.6 ms of CPU as im2col + GEMM against 8.7-8.8 ms as a direct
 * convolution (nine GEMMs over shifted views of a zero-padded copy, then a crop), and
 * the im2col matrix also serves the filter gradient. im2col, col2im and max pooling
 * (channels divisible by 4) run on WebAssembly kernels (cnn-kernels.ts); average pooling,
 * other max pools, batch normalisation, activations and the softmax cross-entropy are
 * JavaScript loops (cnn-ops.ts and below).
 *
 * Numerics follow the TF.js layers trainer (test/unit/shadow-cnn-*.test.ts): batch-mean
 * cross-entropy on softmax outputs (or logits), gradient (p - onehot) / rows; tfjs's
 * Adam; kernels and biases in the tfjs-layers layout so weights move in and out as they
 * are. BatchNormalization trains as tfjs-layers does (batch mean and biased variance,
 * moving averages updated each step, moving statistics when predicting). Dropout follows
 * Keras (inverted, training only) with our own seeded masks: it cannot replay TF.js's
 * random stream, so a dropout model trains like, not identically to, the TF.js path.
 */
import type { BatchNormLayer, CnnLayer, CnnSpec, ConvLayer, DenseLayer } from './cnn-architecture';
import { windowShape } from './cnn-kernels';
import { activate, avgPool, avgPoolBackward, maxPool, maxPoolBackward, multiplyBySlope, transposeInto } from './cnn-ops';
import type { OptimizerSpec } from './optimizer';
import type { Random } from './random';
import type { RecordStore } from './record-store';
import { SimdKernels, type MatrixRef } from './simd-kernels';
import type { LayerWeights } from './stacked-mlp';

/**
 * One weighted layer's values in tfjs-layers layout: Conv2D and Dense kernel and bias;
 * for BatchNormalization, kernel holds gamma (empty without scale), bias beta, and the
 * moving statistics ride along (they are not trained, so gradients have none).
 */
export interface CnnLayerWeights extends LayerWeights {
  movingMean?: Float32Array;
  movingVariance?: Float32Array;
}

type Weighted = ConvLayer | DenseLayer | BatchNormLayer;

const isWeighted = (layer: CnnLayer): layer is Weighted => layer.kind === 'conv' || layer.kind === 'dense' || layer.kind === 'batchNorm';

interface Slot {
  layer: CnnLayer;
  /** Output floats per record. */
  outSize: number;
  /** Offsets in the parameter block (weighted layers; kernel -1 when there is none). */
  kernel: number;
  bias: number | undefined;
  /** Batch normalisation: moving mean then variance (2 x channels), the normalised input, and per-channel scratch. */
  moving: number;
  normalised: number;
  sums?: Float64Array;
  /** Per-batch buffers (offsets in kernel memory). */
  output: number;
  grad: number;
  /** Conv: im2col matrix (then its gradient); -1 for a 1x1 stride-1 convolution. */
  cols: number;
  /** Conv and Dense after the first layer: the kernel transposed, for the input gradient. */
  kernelT: number;
  /** Max pool: where each maximum came from (offset in kernel memory, 32-bit words). */
  argmax: number;
  /** Dropout: each value's factor (0 or 1 / (1 - rate)). */
  mask: number;
}

const rowMajor = (offset: number, cols: number): MatrixRef => ({ offset, rowStride: cols, colStride: 1 });
const transposed = (offset: number, cols: number): MatrixRef => ({ offset, rowStride: 1, colStride: cols });
const align = (n: number): number => Math.ceil(n / 4) * 4;

/** Values per record a layer outputs. */
function outputSize(layer: CnnLayer): number {
  if (layer.kind === 'dense') return layer.units;
  if (layer.kind === 'dropout' || layer.kind === 'batchNorm') return layer.size;
  return layer.output.h * layer.output.w * layer.output.c;
}

/** Rows of the product a conv layer runs per record, and its inner dimension. */
function convDims(l: ConvLayer): { positions: number; depth: number } {
  return { positions: l.output.h * l.output.w, depth: l.kh * l.kw * l.input.c };
}

const isPointwise = (l: ConvLayer): boolean => l.kh === 1 && l.kw === 1 && l.sh === 1 && l.sw === 1 && l.padTop === 0 && l.padLeft === 0;

export class CnnTrainer {
  private readonly k = new SimdKernels();
  private readonly slots: Slot[];
  private readonly perShadow: number;
  private readonly params: number;
  private readonly grads: number;
  private readonly moment1: number;
  private readonly moment2: number;
  private readonly input: number;
  private steps = 0;

  constructor(
    readonly spec: CnnSpec,
    /** Initial weights, per trainable layer (Conv2D and Dense, in order), tfjs-layers layout. */
    initial: LayerWeights[],
    private readonly optimizer: OptimizerSpec,
    private readonly batchSize: number,
    /** Draws dropout masks; required when the network has dropout. */
    private readonly random?: Random,
  ) {
    if (spec.layers.some((l) => l.kind === 'dropout') && random === undefined) throw new Error('a dropout network needs a random source');
    const k = this.k;
    let offset = 0;
    const B = batchSize;
    const shapes = spec.layers.map((layer) => {
      let kernel = -1;
      let bias: number | undefined;
      if (isWeighted(layer)) {
        if (kernelSize(layer) > 0) {
          kernel = offset;
          offset += align(kernelSize(layer));
        }
        if (layer.kind === 'batchNorm' ? layer.center : layer.useBias) {
          bias = offset;
          offset += align(unitsOf(layer));
        }
      }
      return { layer, kernel, bias };
    });
    this.perShadow = offset;
    this.params = k.alloc(offset);
    this.grads = k.alloc(offset);
    const adam = optimizer.kind === 'adam';
    this.moment1 = adam ? k.alloc(offset) : -1;
    this.moment2 = adam ? k.alloc(offset) : -1;
    this.input = k.alloc(B * spec.inputSize);
    this.slots = shapes.map(({ layer, kernel, bias }, l) => {
      const outSize = outputSize(layer);
      const slot: Slot = {
        layer, outSize, kernel, bias,
        output: k.alloc(B * outSize), grad: k.alloc(B * outSize), cols: -1, kernelT: -1, mask: -1, argmax: -1, moving: -1, normalised: -1,
      };
      if (layer.kind === 'batchNorm') {
        slot.moving = k.alloc(2 * layer.channels);
        slot.normalised = k.alloc(B * outSize);
        slot.sums = new Float64Array(4 * layer.channels);
      }
      if (layer.kind === 'conv') {
        const { positions, depth } = convDims(layer);
        if (!isPointwise(layer)) slot.cols = k.alloc(B * positions * depth);
        if (l > 0) slot.kernelT = k.alloc(depth * layer.output.c);
      }
      if (layer.kind === 'dense' && l > 0) slot.kernelT = k.alloc(layer.inSize * layer.units);
      if (layer.kind === 'maxPool') slot.argmax = k.alloc(B * outSize);
      if (layer.kind === 'dropout') slot.mask = k.alloc(B * outSize);
      return slot;
    });
    this.setWeights(initial);
  }

  /** Replaces the weights (tfjs-layers layout, per weighted layer) and resets the optimiser. */
  setWeights(weights: CnnLayerWeights[]): void {
    const f = this.k.f32;
    const weighted = this.slots.filter((s) => isWeighted(s.layer));
    if (weights.length !== weighted.length) throw new RangeError(`expected weights for ${weighted.length} layers, got ${weights.length}`);
    weighted.forEach((slot, i) => {
      const w = weights[i];
      const layer = slot.layer as Weighted;
      const size = kernelSize(layer);
      if (w.kernel.length !== size) throw new RangeError(`layer ${i}: kernel has ${w.kernel.length} values, expected ${size}`);
      if (size > 0) f.set(w.kernel, this.params + slot.kernel);
      if (slot.bias !== undefined) {
        const units = unitsOf(layer);
        if (w.bias === undefined || w.bias.length !== units) throw new RangeError(`layer ${i}: bias missing or of the wrong size`);
        f.set(w.bias, this.params + slot.bias);
      }
      if (layer.kind === 'batchNorm') {
        const C = layer.channels;
        if (w.movingMean?.length !== C || w.movingVariance?.length !== C) throw new RangeError(`layer ${i}: moving mean and variance of ${C} values needed`);
        f.set(w.movingMean, slot.moving);
        f.set(w.movingVariance, slot.moving + C);
      }
    });
    if (this.moment1 >= 0) {
      f.fill(0, this.moment1, this.moment1 + this.perShadow);
      f.fill(0, this.moment2, this.moment2 + this.perShadow);
    }
    this.steps = 0;
  }

  /** Current weights in tfjs-layers layout, per weighted layer. */
  weights(): CnnLayerWeights[] {
    return this.read(this.params, true);
  }

  /** The gradients the last computeGradients/step left, in the weights' layout. */
  gradients(): CnnLayerWeights[] {
    return this.read(this.grads, false);
  }

  private read(block: number, moving: boolean): CnnLayerWeights[] {
    const f = this.k.f32;
    return this.slots.filter((s) => isWeighted(s.layer)).map((slot) => {
      const layer = slot.layer as Weighted;
      const out: CnnLayerWeights = {
        kernel: slot.kernel >= 0 ? f.slice(block + slot.kernel, block + slot.kernel + kernelSize(layer)) : new Float32Array(0),
        bias: slot.bias !== undefined ? f.slice(block + slot.bias, block + slot.bias + unitsOf(layer)) : undefined,
      };
      if (moving && layer.kind === 'batchNorm') {
        out.movingMean = f.slice(slot.moving, slot.moving + layer.channels);
        out.movingVariance = f.slice(slot.moving + layer.channels, slot.moving + 2 * layer.channels);
      }
      return out;
    });
  }

  /** One optimiser step on a batch of record indices into `store`. */
  step(store: RecordStore, batch: Int32Array): void {
    this.computeGradients(store, batch);
    this.steps++;
    const P = this.perShadow;
    if (this.optimizer.kind === 'adam') {
      this.k.adam(this.params, this.grads, this.moment1, this.moment2, P, this.steps, this.optimizer);
    } else {
      const f = this.k.f32;
      const lr = this.optimizer.learningRate;
      for (let i = 0; i < P; i++) f[this.params + i] -= lr * f[this.grads + i];
    }
  }

  /** Gradients of the batch-mean cross-entropy on `batch` into the gradient block. */
  computeGradients(store: RecordStore, batch: Int32Array): void {
    const rows = batch.length;
    if (rows > this.batchSize) throw new RangeError(`batch of ${rows} exceeds the batch size ${this.batchSize}`);
    if (store.size !== this.spec.inputSize) throw new RangeError(`records have ${store.size} values, the network takes ${this.spec.inputSize}`);
    const f = this.k.f32;
    const D = this.spec.inputSize;
    for (let i = 0; i < rows; i++) {
      const r = batch[i];
      f.set(store.features.subarray(r * D, (r + 1) * D), this.input + i * D);
    }
    this.forward(rows, true);
    this.backward(rows, batch, store.labels);
  }

  /** Layer outputs for `rows` records at this.input; the last becomes class probabilities. */
  private forward(rows: number, training: boolean): void {
    const k = this.k;
    const f = k.f32;
    const last = this.slots.length - 1;
    let source = this.input;
    this.slots.forEach((slot, l) => {
      const layer = slot.layer;
      const out = slot.output;
      switch (layer.kind) {
        case 'conv': {
          const { positions, depth } = convDims(layer);
          const M = rows * positions;
          const N = layer.output.c;
          let cols = source;
          if (slot.cols >= 0) {
            k.im2col(windowShape(rows, layer), source, slot.cols);
            cols = slot.cols;
          }
          k.gemm(rowMajor(cols, depth), rowMajor(this.params + slot.kernel, N), rowMajor(out, N), M, N, depth);
          if (slot.bias !== undefined) k.addRows(out, this.params + slot.bias, M, N, N);
          if (layer.activation === 'relu') k.relu(out, M * N);
          else activate(f, out, M * N, N, layer.activation);
          break;
        }
        case 'dense': {
          const N = layer.units;
          k.gemm(rowMajor(source, layer.inSize), rowMajor(this.params + slot.kernel, N), rowMajor(out, N), rows, N, layer.inSize);
          if (slot.bias !== undefined) k.addRows(out, this.params + slot.bias, rows, N, N);
          // The output layer always yields probabilities (softmax of logits alike).
          const activation = l === last ? 'softmax' : layer.activation;
          if (activation === 'relu') k.relu(out, rows * N);
          else activate(f, out, rows * N, N, activation);
          break;
        }
        case 'maxPool':
          if (layer.input.c % 4 === 0) k.maxPool(windowShape(rows, layer), source, out, slot.argmax);
          else maxPool(f, source, rows, layer, out, k.i32.subarray(slot.argmax, slot.argmax + rows * slot.outSize));
          break;
        case 'avgPool':
          avgPool(f, source, rows, layer, out);
          break;
        case 'batchNorm':
          this.batchNormForward(slot, layer, source, rows, training);
          if (layer.activation === 'relu') k.relu(out, rows * slot.outSize);
          else activate(f, out, rows * slot.outSize, layer.channels, layer.activation);
          break;
        case 'dropout': {
          const n = rows * slot.outSize;
          if (!training) {
            f.copyWithin(out, source, source + n);
            break;
          }
          const random = this.random as Random;
          const keep = 1 / (1 - layer.rate);
          for (let i = 0; i < n; i++) {
            const m = random() < layer.rate ? 0 : keep;
            f[slot.mask + i] = m;
            f[out + i] = f[source + i] * m;
          }
          break;
        }
      }
      source = out;
    });
  }

  private backward(rows: number, batch: Int32Array, labels: Int32Array): void {
    const k = this.k;
    const f = k.f32;
    const L = this.slots.length;
    const top = this.slots[L - 1];
    const C = top.outSize;
    const scale = 1 / rows;
    for (let i = 0; i < rows; i++) {
      const p = top.output + i * C;
      const d = top.grad + i * C;
      const y = labels[batch[i]];
      for (let c = 0; c < C; c++) f[d + c] = (f[p + c] - (c === y ? 1 : 0)) * scale;
    }
    for (let l = L - 1; l >= 0; l--) {
      const slot = this.slots[l];
      const layer = slot.layer;
      const below = l > 0 ? this.slots[l - 1] : undefined;
      const source = below?.output ?? this.input;
      const dZ = slot.grad;
      if (l < L - 1 && (layer.kind === 'conv' || layer.kind === 'dense' || layer.kind === 'batchNorm')) {
        if (layer.activation === 'relu') k.reluMask(dZ, slot.output, rows * slot.outSize);
        else multiplyBySlope(f, dZ, slot.output, rows * slot.outSize, layer.activation);
      }
      switch (layer.kind) {
        case 'conv': {
          const { positions, depth } = convDims(layer);
          const M = rows * positions;
          const N = layer.output.c;
          const cols = slot.cols >= 0 ? slot.cols : source;
          k.gemm(transposed(cols, depth), rowMajor(dZ, N), rowMajor(this.grads + slot.kernel, N), depth, N, M);
          if (slot.bias !== undefined) k.columnSums(dZ, M, N, N, this.grads + slot.bias);
          if (below === undefined) break;
          transposeInto(f, this.params + slot.kernel, depth, N, slot.kernelT);
          if (slot.cols < 0) {
            k.gemm(rowMajor(dZ, N), rowMajor(slot.kernelT, depth), rowMajor(below.grad, depth), M, depth, N);
            break;
          }
          // cols is spent (the filter gradient is taken): it holds the cols gradient now.
          k.gemm(rowMajor(dZ, N), rowMajor(slot.kernelT, depth), rowMajor(slot.cols, depth), M, depth, N);
          f.fill(0, below.grad, below.grad + rows * below.outSize);
          k.col2im(windowShape(rows, layer), slot.cols, below.grad);
          break;
        }
        case 'dense': {
          const N = layer.units;
          k.gemm(transposed(source, layer.inSize), rowMajor(dZ, N), rowMajor(this.grads + slot.kernel, N), layer.inSize, N, rows);
          if (slot.bias !== undefined) k.columnSums(dZ, rows, N, N, this.grads + slot.bias);
          if (below === undefined) break;
          transposeInto(f, this.params + slot.kernel, layer.inSize, N, slot.kernelT);
          k.gemm(rowMajor(dZ, N), rowMajor(slot.kernelT, layer.inSize), rowMajor(below.grad, layer.inSize), rows, layer.inSize, N);
          break;
        }
        case 'maxPool':
          if (below !== undefined) maxPoolBackward(f, dZ, rows * slot.outSize, k.i32.subarray(slot.argmax, slot.argmax + rows * slot.outSize), below.grad, rows * below.outSize);
          break;
        case 'avgPool':
          if (below !== undefined) avgPoolBackward(f, dZ, rows, layer, below.grad);
          break;
        case 'batchNorm':
          this.batchNormBackward(slot, layer, rows, below?.grad);
          break;
        case 'dropout':
          if (below !== undefined) for (let i = 0; i < rows * slot.outSize; i++) f[below.grad + i] = f[dZ + i] * f[slot.mask + i];
          break;
      }
    }
  }

  /**
   * Training: normalise by the batch's mean and biased variance per channel (kept for
   * the backward pass), update the moving statistics as tfjs-layers does
   * (moving -= (moving - batch) * (1 - momentum)). Predicting: the moving statistics.
   */
  private batchNormForward(slot: Slot, layer: BatchNormLayer, source: number, rows: number, training: boolean): void {
    const f = this.k.f32;
    const C = layer.channels;
    const R = rows * (layer.size / C);
    const sums = slot.sums as Float64Array;
    const gamma = slot.kernel >= 0 ? this.params + slot.kernel : -1;
    const beta = slot.bias !== undefined ? this.params + slot.bias : -1;
    const out = slot.output;
    if (!training) {
      for (let c = 0; c < C; c++) {
        sums[c] = f[slot.moving + c];
        sums[C + c] = 1 / Math.sqrt(f[slot.moving + C + c] + layer.epsilon);
      }
    } else {
      sums.fill(0, 0, 2 * C);
      for (let r = 0, p = source; r < R; r++) for (let c = 0; c < C; c++, p++) sums[c] += f[p];
      for (let c = 0; c < C; c++) sums[c] = Math.fround(sums[c] / R);
      for (let r = 0, p = source; r < R; r++) {
        for (let c = 0; c < C; c++, p++) {
          const d = f[p] - sums[c];
          sums[C + c] += d * d;
        }
      }
      const decay = 1 - layer.momentum;
      for (let c = 0; c < C; c++) {
        const variance = Math.fround(sums[C + c] / R);
        f[slot.moving + c] -= (f[slot.moving + c] - sums[c]) * decay;
        f[slot.moving + C + c] -= (f[slot.moving + C + c] - variance) * decay;
        sums[C + c] = 1 / Math.sqrt(variance + layer.epsilon);
      }
    }
    const normalised = slot.normalised;
    for (let r = 0, p = 0; r < R; r++) {
      for (let c = 0; c < C; c++, p++) {
        const x = (f[source + p] - sums[c]) * sums[C + c];
        f[normalised + p] = x;
        f[out + p] = (gamma >= 0 ? x * f[gamma + c] : x) + (beta >= 0 ? f[beta + c] : 0);
      }
    }
  }

  /** Gradients of gamma and beta, and dx = gamma invstd / R (R dy - sum dy - xhat sum(dy xhat)). */
  private batchNormBackward(slot: Slot, layer: BatchNormLayer, rows: number, inputGrad: number | undefined): void {
    const f = this.k.f32;
    const C = layer.channels;
    const R = rows * (layer.size / C);
    const sums = slot.sums as Float64Array;
    const dy = slot.grad;
    const xhat = slot.normalised;
    sums.fill(0, 2 * C, 4 * C);
    for (let r = 0, p = 0; r < R; r++) {
      for (let c = 0; c < C; c++, p++) {
        sums[2 * C + c] += f[dy + p];
        sums[3 * C + c] += f[dy + p] * f[xhat + p];
      }
    }
    for (let c = 0; c < C; c++) {
      if (slot.kernel >= 0) f[this.grads + slot.kernel + c] = sums[3 * C + c];
      if (slot.bias !== undefined) f[this.grads + slot.bias + c] = sums[2 * C + c];
    }
    if (inputGrad === undefined) return;
    for (let c = 0; c < C; c++) sums[c] = ((slot.kernel >= 0 ? f[this.params + slot.kernel + c] : 1) * sums[C + c]) / R;
    for (let r = 0, p = 0; r < R; r++) {
      for (let c = 0; c < C; c++, p++) {
        f[inputGrad + p] = sums[c] * (R * f[dy + p] - sums[2 * C + c] - f[xhat + p] * sums[3 * C + c]);
      }
    }
  }

  /** Class probabilities of `count` records (rows of the input size in `features`): count x numClasses. */
  predict(features: Float32Array, count: number): Float32Array {
    const D = this.spec.inputSize;
    const C = this.spec.numClasses;
    const out = new Float32Array(count * C);
    const top = this.slots[this.slots.length - 1];
    for (let start = 0; start < count; start += this.batchSize) {
      const rows = Math.min(this.batchSize, count - start);
      this.k.f32.set(features.subarray(start * D, (start + rows) * D), this.input);
      this.forward(rows, false);
      out.set(this.k.f32.subarray(top.output, top.output + rows * C), start * C);
    }
    return out;
  }
}

function kernelSize(layer: Weighted): number {
  if (layer.kind === 'batchNorm') return layer.scale ? layer.channels : 0;
  return layer.kind === 'conv' ? layer.kh * layer.kw * layer.input.c * layer.output.c : layer.inSize * layer.units;
}

function unitsOf(layer: Weighted): number {
  return layer.kind === 'conv' ? layer.output.c : layer.kind === 'dense' ? layer.units : layer.channels;
}
