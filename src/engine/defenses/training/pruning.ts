/**
 * Magnitude pruning for the KL-pruning defense: in each kernel the smallest-magnitude
 * `sparsity` share of weights is set to zero and kept there (masks re-applied after
 * every optimiser step). Biases are not pruned.
 */
import * as tf from '@tensorflow/tfjs-core';

export function magnitudeMasks(kernels: tf.Variable[], sparsity: number): Map<tf.Variable, tf.Tensor> {
  const masks = new Map<tf.Variable, tf.Tensor>();
  for (const kernel of kernels) {
    const values = kernel.dataSync() as Float32Array;
    const prune = Math.floor(values.length * sparsity);
    // Sort indices by magnitude (ties by index, so the choice is deterministic).
    const order = Array.from({ length: values.length }, (_, i) => i)
      .sort((a, b) => Math.abs(values[a]) - Math.abs(values[b]) || a - b);
    const mask = new Float32Array(values.length).fill(1);
    for (let i = 0; i < prune; i++) mask[order[i]] = 0;
    masks.set(kernel, tf.tensor(mask, kernel.shape, 'float32'));
  }
  return masks;
}

export function applyMasks(masks: Map<tf.Variable, tf.Tensor>): void {
  for (const [variable, mask] of masks) tf.tidy(() => variable.assign(tf.mul(variable, mask)));
}
