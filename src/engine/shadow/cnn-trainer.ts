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
 * im2col: its input already is the cols matrix. im2col, col2im and max pooling (channels
 * divisible by 4) run on WebAssembly kernels (cnn-kernels.ts); average pooling, other max
 * pools, activations and the softmax cross-entropy are JavaScript loops (cnn-ops.ts).
 *
 * Numerics follow the TF.js layers trainer (test/unit/shadow-cnn-*.test.ts): batch-mean
 * cross-entropy on softmax outputs (or logits), gradient (p - onehot) / rows; tfjs's
 * Adam; kernels and biases in the tfjs-layers layout so weights move in and out as they
 * are. Dropout follows Keras (inverted, training only) with our own seeded masks: it
 * cannot replay TF.js's random stream, so a dropout model trains like, not identically
 * to, the TF.js path.
 */
import type { CnnLayer, CnnSpec, ConvLayer, DenseLayer } from './cnn-architecture';
import { windowShape } from './cnn-kernels';
import { activate, avgPool, avgPoolBackward, maxPool, maxPoolBackward, multiplyBySlope, transposeInto } from './cnn-ops';
import type { OptimizerSpec } from './optimizer';
import type { Random } from './random';
import type { RecordStore } from './record-store';
import { SimdKernels, type MatrixRef } from './simd-kernels';
import type { LayerWeights } from './stacked-mlp';

interface Slot {
  layer: CnnLayer;
  /** Output floats per record. */
  outSize: number;
  /** Offsets in the parameter block (trainable layers). */
  kernel: number;
  bias: number | undefined;
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
  if (layer.kind === 'dropout') return layer.size;
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
      if (layer.kind === 'conv' || layer.kind === 'dense') {
        kernel = offset;
        offset += align(kernelSize(layer));
        const units = layer.kind === 'conv' ? layer.output.c : layer.units;
        if (layer.useBias) {
          bias = offset;
          offset += align(units);
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
        output: k.alloc(B * outSize), grad: k.alloc(B * outSize), cols: -1, kernelT: -1, mask: -1, argmax: -1,
      };
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

  /** Replaces the weights (tfjs-layers layout, per trainable layer) and resets the optimiser. */
  setWeights(weights: LayerWeights[]): void {
    const f = this.k.f32;
    const trainable = this.slots.filter((s) => s.kernel >= 0);
    if (weights.length !== trainable.length) throw new RangeError(`expected weights for ${trainable.length} layers, got ${weights.length}`);
    trainable.forEach((slot, i) => {
      const w = weights[i];
      const size = kernelSize(slot.layer as ConvLayer | DenseLayer);
      if (w.kernel.length !== size) throw new RangeError(`layer ${i}: kernel has ${w.kernel.length} values, expected ${size}`);
      f.set(w.kernel, this.params + slot.kernel);
      if (slot.bias !== undefined) {
        const units = unitsOf(slot.layer as ConvLayer | DenseLayer);
        if (w.bias === undefined || w.bias.length !== units) throw new RangeError(`layer ${i}: bias missing or of the wrong size`);
        f.set(w.bias, this.params + slot.bias);
      }
    });
    if (this.moment1 >= 0) {
      f.fill(0, this.moment1, this.moment1 + this.perShadow);
      f.fill(0, this.moment2, this.moment2 + this.perShadow);
    }
    this.steps = 0;
  }

  /** Current weights in tfjs-layers layout, per trainable layer. */
  weights(): LayerWeights[] {
    return this.read(this.params);
  }

  /** The gradients the last computeGradients/step left, in the weights' layout. */
  gradients(): LayerWeights[] {
    return this.read(this.grads);
  }

  private read(block: number): LayerWeights[] {
    const f = this.k.f32;
    return this.slots.filter((s) => s.kernel >= 0).map((slot) => {
      const layer = slot.layer as ConvLayer | DenseLayer;
      return {
        kernel: f.slice(block + slot.kernel, block + slot.kernel + kernelSize(layer)),
        bias: slot.bias !== undefined ? f.slice(block + slot.bias, block + slot.bias + unitsOf(layer)) : undefined,
      };
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
      if (l < L - 1 && (layer.kind === 'conv' || layer.kind === 'dense')) {
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
        case 'dropout':
          if (below !== undefined) for (let i = 0; i < rows * slot.outSize; i++) f[below.grad + i] = f[dZ + i] * f[slot.mask + i];
          break;
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

function kernelSize(layer: ConvLayer | DenseLayer): number {
  return layer.kind === 'conv' ? layer.kh * layer.kw * layer.input.c * layer.output.c : layer.inSize * layer.units;
}

function unitsOf(layer: ConvLayer | DenseLayer): number {
  return layer.kind === 'conv' ? layer.output.c : layer.units;
}
