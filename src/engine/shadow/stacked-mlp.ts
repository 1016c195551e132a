/**
 * Trains S shadow copies of a Dense stack at once ("stacked"): all S shadows'
 * parameters live in one block of kernel memory, shadow after shadow (layer by layer
 * within a shadow, so [S, in, out] per layer in effect), every step runs each shadow on
 * its own minibatch, and one Adam pass updates all of them. Products, bias, ReLU and
 * Adam run on our SIMD kernels (simd-kernels.ts); softmax, sigmoid and tanh in
 * JavaScript on the same memory. The backward pass is written out by hand (no autodiff
 * tape) and skips the first layer's input gradient, which no weight needs.
 *
 * Layout is batch-major with kernels [in, out] (the tfjs-layers layout), which needs no
 * transposed copies of the large operands: the forward product is X W, the weight
 * gradient X^T dZ reads X through strides.
 *
 * Each shadow follows its own batch plan; a shadow that has finished its steps is left
 * out of later steps, so its trajectory is the one tfjs-layers would take training it
 * alone (test/unit/shadow-stacked.test.ts checks this against trainOnBatch).
 */
import type { Activation, DenseStack } from './architecture';
import type { OptimizerSpec } from './optimizer';
import type { RecordStore } from './record-store';
import { SimdKernels, type MatrixRef } from './simd-kernels';
import { activate, multiplyBySlope, transposeInto } from './float-ops';

/** One shadow's weights per layer, in tfjs-layers layout (kernel [in, out]). */
export interface LayerWeights {
  kernel: Float32Array;
  bias?: Float32Array;
}

interface LayerSlots {
  inSize: number;
  outSize: number;
  activation: Activation;
  /** Offsets (floats) within one shadow's parameter block. */
  kernel: number;
  bias: number | undefined;
  /** Per-shadow scratch (offsets in kernel memory): this layer's output, and its gradient. */
  output: number;
  delta: number;
  /** W^T, for the input gradient of layers after the first. */
  kernelT: number;
}

/** Rows per prediction pass: bounds the activations held at once. */
const PREDICT_ROWS = 1024;

const rowMajor = (offset: number, cols: number): MatrixRef => ({ offset, rowStride: cols, colStride: 1 });
const transposed = (offset: number, cols: number): MatrixRef => ({ offset, rowStride: 1, colStride: cols });

export class StackedMlp {
  readonly shadows: number;
  private readonly k = new SimdKernels();
  private readonly layers: LayerSlots[];
  /** Floats per shadow in the parameter, gradient and moment blocks. */
  private readonly perShadow: number;
  private readonly params: number;
  private readonly grads: number;
  private readonly moment1: number;
  private readonly moment2: number;
  private readonly input: number;
  private readonly steps: Int32Array;
  private readonly inputSize: number;
  private readonly numClasses: number;
  /** Per layer, where a training step writes its output. */
  private readonly outputs: number[];
  private predictScratch: { input: number; outputs: number[] } | undefined;

  constructor(stack: DenseStack, initial: LayerWeights[][], private readonly optimizer: OptimizerSpec, private readonly batchSize: number) {
    const S = (this.shadows = initial.length);
    this.steps = new Int32Array(S);
    this.inputSize = stack.inputSize;
    const align = (n: number): number => Math.ceil(n / 4) * 4;
    let offset = 0;
    let inSize = stack.inputSize;
    const shapes = stack.layers.map((spec) => {
      const kernel = offset;
      offset += align(inSize * spec.units);
      const bias = spec.useBias ? offset : undefined;
      if (spec.useBias) offset += align(spec.units);
      const shape = { inSize, outSize: spec.units, activation: spec.activation, kernel, bias };
      inSize = spec.units;
      return shape;
    });
    this.numClasses = inSize;
    this.perShadow = offset;
    const k = this.k;
    this.params = k.alloc(S * offset);
    this.grads = k.alloc(S * offset);
    const adam = optimizer.kind === 'adam';
    this.moment1 = adam ? k.alloc(S * offset) : -1;
    this.moment2 = adam ? k.alloc(S * offset) : -1;
    this.input = k.alloc(batchSize * stack.inputSize);
    this.layers = shapes.map((shape, l) => ({
      ...shape,
      output: k.alloc(batchSize * shape.outSize),
      delta: k.alloc(batchSize * shape.outSize),
      kernelT: l > 0 ? k.alloc(shape.inSize * shape.outSize) : -1,
    }));
    this.outputs = this.layers.map((l) => l.output);
    const f = k.f32;
    for (let s = 0; s < S; s++) {
      this.layers.forEach((layer, l) => {
        const w = initial[s][l];
        if (w.kernel.length !== layer.inSize * layer.outSize) {
          throw new RangeError(`layer ${l}: kernel has ${w.kernel.length} values, expected ${layer.inSize * layer.outSize}`);
        }
        f.set(w.kernel, this.params + s * this.perShadow + layer.kernel);
        if (layer.bias !== undefined) {
          if (w.bias === undefined || w.bias.length !== layer.outSize) throw new RangeError(`layer ${l}: bias missing or of the wrong size`);
          f.set(w.bias, this.params + s * this.perShadow + layer.bias);
        }
      });
    }
  }

  /**
   * One optimiser step for every shadow with a batch (batches[s] undefined: shadow s
   * has finished and is left unchanged). Batches hold record indices into `store`.
   */
  step(store: RecordStore, batches: (Int32Array | undefined)[]): void {
    for (let s = 0; s < this.shadows; s++) {
      const batch = batches[s];
      if (batch === undefined) continue;
      if (batch.length > this.batchSize) throw new RangeError(`batch of ${batch.length} exceeds the batch size ${this.batchSize}`);
      this.loadRows(store, batch);
      this.forward(s, batch.length);
      this.backward(s, batch, store.labels);
      this.steps[s]++;
    }
    this.applyGradients(batches);
  }

  private loadRows(store: RecordStore, batch: Int32Array): void {
    const f = this.k.f32;
    const D = this.inputSize;
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i];
      f.set(store.features.subarray(r * D, (r + 1) * D), this.input + i * D);
    }
  }

  /** Layer outputs for `rows` rows of `input`; the last layer's output becomes probabilities. */
  private forward(s: number, rows: number, input = this.input, outputs = this.outputs): void {
    const k = this.k;
    const base = this.params + s * this.perShadow;
    let source = input;
    this.layers.forEach((layer, l) => {
      const out = outputs[l];
      const n = layer.outSize;
      k.gemm(rowMajor(source, layer.inSize), rowMajor(base + layer.kernel, n), rowMajor(out, n), rows, n, layer.inSize);
      if (layer.bias !== undefined) k.addRows(out, base + layer.bias, rows, n, n);
      const activation = l === this.layers.length - 1 ? 'softmax' : layer.activation;
      if (activation === 'relu') k.relu(out, rows * n);
      else activate(k.f32, out, rows * n, n, activation);
      source = out;
    });
  }

  /** Gradients of the batch-mean cross-entropy into shadow s's gradient block. */
  private backward(s: number, batch: Int32Array, labels: Int32Array): void {
    const k = this.k;
    const rows = batch.length;
    const L = this.layers.length;
    const C = this.numClasses;
    const last = this.layers[L - 1];
    const f = k.f32;
    // Softmax cross-entropy (softmax output or logits alike): dL/dz = (p - onehot(y)) / rows.
    const scale = 1 / rows;
    for (let i = 0; i < rows; i++) {
      const p = last.output + i * C;
      const d = last.delta + i * C;
      const y = labels[batch[i]];
      for (let c = 0; c < C; c++) f[d + c] = (f[p + c] - (c === y ? 1 : 0)) * scale;
    }
    const params = this.params + s * this.perShadow;
    const grads = this.grads + s * this.perShadow;
    for (let l = L - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const below = l > 0 ? this.layers[l - 1].output : this.input;
      // dW = A^T dZ: A read transposed through its strides.
      k.gemm(transposed(below, layer.inSize), rowMajor(layer.delta, layer.outSize), rowMajor(grads + layer.kernel, layer.outSize), layer.inSize, layer.outSize, rows);
      if (layer.bias !== undefined) k.columnSums(layer.delta, rows, layer.outSize, layer.outSize, grads + layer.bias);
      if (l === 0) break;
      // dA = dZ W^T, with W^T copied out (W of layers after the first is small: [hidden, out]).
      transposeInto(k.f32, params + layer.kernel, layer.inSize, layer.outSize, layer.kernelT);
      const prev = this.layers[l - 1];
      k.gemm(rowMajor(layer.delta, layer.outSize), rowMajor(layer.kernelT, layer.inSize), rowMajor(prev.delta, prev.outSize), rows, prev.outSize, layer.outSize);
      if (prev.activation === 'relu') k.reluMask(prev.delta, prev.output, rows * prev.outSize);
      else multiplyBySlope(k.f32, prev.delta, prev.output, rows * prev.outSize, prev.activation);
    }
  }

  /** Adam (or SGD) on every shadow that took this step; runs of shadows at the same step count share one call. */
  private applyGradients(batches: (Int32Array | undefined)[]): void {
    const P = this.perShadow;
    let s = 0;
    while (s < this.shadows) {
      if (batches[s] === undefined) {
        s++;
        continue;
      }
      let end = s + 1;
      while (end < this.shadows && batches[end] !== undefined && this.steps[end] === this.steps[s]) end++;
      const offset = s * P;
      const count = (end - s) * P;
      if (this.optimizer.kind === 'adam') {
        this.k.adam(this.params + offset, this.grads + offset, this.moment1 + offset, this.moment2 + offset, count, this.steps[s], this.optimizer);
      } else {
        const f = this.k.f32;
        const lr = this.optimizer.learningRate;
        for (let i = 0; i < count; i++) f[this.params + offset + i] -= lr * f[this.grads + offset + i];
      }
      s = end;
    }
  }

  /**
   * Class probabilities of `count` records (rows of the input size in `features`) under
   * every shadow: result[s] is count x numClasses.
   */
  predict(features: Float32Array, count: number): Float32Array[] {
    const D = this.inputSize;
    const C = this.numClasses;
    const scratch = (this.predictScratch ??= {
      input: this.k.alloc(PREDICT_ROWS * D),
      outputs: this.layers.map((l) => this.k.alloc(PREDICT_ROWS * l.outSize)),
    });
    const out = Array.from({ length: this.shadows }, () => new Float32Array(count * C));
    for (let start = 0; start < count; start += PREDICT_ROWS) {
      const rows = Math.min(PREDICT_ROWS, count - start);
      this.k.f32.set(features.subarray(start * D, (start + rows) * D), scratch.input);
      for (let s = 0; s < this.shadows; s++) {
        this.forward(s, rows, scratch.input, scratch.outputs);
        const probabilities = scratch.outputs[this.layers.length - 1];
        out[s].set(this.k.f32.subarray(probabilities, probabilities + rows * C), start * C);
      }
    }
    return out;
  }

  /** Current weights of shadow s in tfjs-layers layout, per layer. */
  weightsOf(s: number): LayerWeights[] {
    const f = this.k.f32;
    const base = this.params + s * this.perShadow;
    return this.layers.map((layer) => ({
      kernel: f.slice(base + layer.kernel, base + layer.kernel + layer.inSize * layer.outSize),
      bias: layer.bias !== undefined ? f.slice(base + layer.bias, base + layer.bias + layer.outSize) : undefined,
    }));
  }
}



