/**
 * Per-example clipped gradients of a Dense stack, the expensive part of DP-SGD.
 *
 * For a Dense layer z = a W + b, example i's weight gradient is the outer product
 * a_i^T delta_i (delta_i = dloss_i/dz_i), so its squared norm is ||a_i||^2 ||delta_i||^2
 * (plus ||delta_i||^2 for the bias), and the sum of clipped gradients is
 * A^T diag(c) Delta: one matmul per layer for the whole batch, no per-example loop.
 * The deltas of every layer come from one backward pass: the forward adds a zero
 * tensor e_l to each pre-activation and tf.grads differentiates w.r.t. the e_l.
 *
 * `clippedGradientSumLoop` computes the same thing one example at a time with tf.grads
 * w.r.t. the weights: the obvious implementation, kept for tests and the benchmark.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, DenseStack } from '../../shadow/architecture';

/** Weights of a Dense stack as tensors, layer by layer (kernel [in, out], bias [out]). */
export interface DenseParams {
  kernels: tf.Tensor2D[];
  biases: (tf.Tensor1D | undefined)[];
}

export interface ClippedGradients {
  /** Sum over the batch of the clipped per-example gradients, per layer. */
  kernels: tf.Tensor2D[];
  biases: (tf.Tensor1D | undefined)[];
  /** Each example's gradient norm before clipping. */
  norms: Float32Array;
}

function activate(z: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'relu': return tf.relu(z);
    case 'sigmoid': return tf.sigmoid(z);
    case 'tanh': return tf.tanh(z);
    // softmax only ends a stack, where the loss works on the logits.
    case 'linear': case 'softmax': return z;
  }
}

/**
 * Logits of the stack (the last layer's pre-activation) and every layer's input.
 * `shifts[l]`, when given, is added to layer l's pre-activation (the gradient handle).
 */
export function denseForward(stack: DenseStack, params: DenseParams, x: tf.Tensor2D, shifts?: tf.Tensor2D[]): { logits: tf.Tensor2D; inputs: tf.Tensor2D[] } {
  const inputs: tf.Tensor2D[] = [];
  let a = x;
  let z = x;
  stack.layers.forEach((layer, l) => {
    inputs.push(a);
    z = tf.matMul(a, params.kernels[l]);
    const bias = params.biases[l];
    if (bias !== undefined) z = tf.add(z, bias);
    if (shifts !== undefined) z = tf.add(z, shifts[l]);
    a = activate(z, layer.activation);
  });
  return { logits: z, inputs };
}

/** Summed cross-entropy of logits against one-hot targets. */
function summedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)))) as tf.Scalar;
}

/** Clip factor min(1, C / ||g||) per example (a zero gradient stays zero). */
function clipFactors(norms: tf.Tensor1D, clipNorm: number): tf.Tensor1D {
  return tf.minimum(1, tf.div(clipNorm, tf.maximum(norms, 1e-12)));
}

/** Vectorised: one forward, one backward, one matmul per layer. */
export function clippedGradientSum(stack: DenseStack, params: DenseParams, x: tf.Tensor2D, targets: tf.Tensor2D, clipNorm: number): ClippedGradients {
  const n = x.shape[0];
  const result = tf.tidy(() => {
    const shifts = stack.layers.map((layer) => tf.zeros([n, layer.units]) as tf.Tensor2D);
    let inputs: tf.Tensor2D[] = [];
    const deltas = tf.grads((...e: tf.Tensor[]) => {
      const forward = denseForward(stack, params, x, e as tf.Tensor2D[]);
      inputs = forward.inputs.map((a) => tf.keep(a));
      return summedCrossEntropy(forward.logits, targets);
    })(shifts) as tf.Tensor2D[];
    let squared: tf.Tensor1D = tf.zeros([n]);
    stack.layers.forEach((layer, l) => {
      const deltaSq = tf.sum(tf.square(deltas[l]), 1) as tf.Tensor1D;
      const inputSq = tf.sum(tf.square(inputs[l]), 1) as tf.Tensor1D;
      squared = tf.add(squared, tf.mul(deltaSq, layer.useBias ? tf.add(inputSq, 1) : inputSq));
    });
    const norms = tf.sqrt(squared);
    const c = tf.reshape(clipFactors(norms, clipNorm), [n, 1]);
    const kernels: tf.Tensor2D[] = [];
    const biases: (tf.Tensor1D | undefined)[] = [];
    stack.layers.forEach((layer, l) => {
      const scaled = tf.mul(deltas[l], c) as tf.Tensor2D;
      kernels.push(tf.matMul(inputs[l], scaled, true, false));
      biases.push(layer.useBias ? tf.sum(scaled, 0) as tf.Tensor1D : undefined);
    });
    // tf.keep exempts the hidden activations from tidy; x (inputs[0]) is the caller's.
    for (const a of inputs.slice(1)) a.dispose();
    return { kernels, biases, norms };
  });
  const norms = result.norms.dataSync() as Float32Array;
  result.norms.dispose();
  return { kernels: result.kernels, biases: result.biases, norms };
}

/** Reference implementation: a gradient per example, clipped and added up. */
export function clippedGradientSumLoop(stack: DenseStack, params: DenseParams, x: tf.Tensor2D, targets: tf.Tensor2D, clipNorm: number): ClippedGradients {
  const n = x.shape[0];
  const weights: tf.Tensor[] = [];
  stack.layers.forEach((_, l) => {
    weights.push(params.kernels[l]);
    const bias = params.biases[l];
    if (bias !== undefined) weights.push(bias);
  });
  const unpack = (w: tf.Tensor[]): DenseParams => {
    const out: DenseParams = { kernels: [], biases: [] };
    let k = 0;
    stack.layers.forEach((layer) => {
      out.kernels.push(w[k++] as tf.Tensor2D);
      out.biases.push(layer.useBias ? w[k++] as tf.Tensor1D : undefined);
    });
    return out;
  };
  const norms = new Float32Array(n);
  let sums = weights.map((w) => tf.zerosLike(w));
  for (let i = 0; i < n; i++) {
    const next = tf.tidy(() => {
      const xi = tf.slice(x, [i, 0], [1, -1]) as tf.Tensor2D;
      const yi = tf.slice(targets, [i, 0], [1, -1]) as tf.Tensor2D;
      const g = tf.grads((...w: tf.Tensor[]) => summedCrossEntropy(denseForward(stack, unpack(w), xi).logits, yi))(weights);
      const norm = Math.sqrt(g.reduce((s, t) => s + (tf.sum(tf.square(t)).dataSync()[0]), 0));
      norms[i] = norm;
      const c = Math.min(1, clipNorm / Math.max(norm, 1e-12));
      return sums.map((s, k) => tf.add(s, tf.mul(g[k], c)));
    });
    tf.dispose(sums);
    sums = next;
  }
  const out = unpack(sums);
  return { kernels: out.kernels, biases: out.biases, norms };
}
