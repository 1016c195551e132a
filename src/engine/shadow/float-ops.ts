/**
 * Element-wise float work on a kernel's heap that the stacked MLP and the convolutional
 * trainer share: activations, their slopes for backprop, and a plain transpose.
 */
import type { Activation } from './architecture';

/** out = act(out) in place over `count` values; 'softmax' normalises each row of `cols` (max-shifted). */
export function activate(f: Float32Array, out: number, count: number, cols: number, activation: Activation): void {
  switch (activation) {
    case 'relu':
      for (let i = out; i < out + count; i++) if (!(f[i] > 0)) f[i] = 0;
      return;
    case 'sigmoid':
      for (let i = out; i < out + count; i++) f[i] = 1 / (1 + Math.exp(-f[i]));
      return;
    case 'tanh':
      for (let i = out; i < out + count; i++) f[i] = Math.tanh(f[i]);
      return;
    case 'linear':
      return;
    case 'softmax':
      for (let row = out; row < out + count; row += cols) {
        let max = -Infinity;
        for (let j = 0; j < cols; j++) max = Math.max(max, f[row + j]);
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += f[row + j] = Math.exp(f[row + j] - max);
        for (let j = 0; j < cols; j++) f[row + j] /= sum;
      }
  }
}

/** delta *= d act / d z, expressed through the activation's output a (softmax only ever ends the network). */
export function multiplyBySlope(f: Float32Array, delta: number, output: number, n: number, activation: Activation): void {
  switch (activation) {
    case 'relu':
      for (let i = 0; i < n; i++) if (!(f[output + i] > 0)) f[delta + i] = 0;
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) f[delta + i] *= f[output + i] * (1 - f[output + i]);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) f[delta + i] *= 1 - f[output + i] * f[output + i];
      return;
    case 'linear':
    case 'softmax':
      return;
  }
}

/** dst (cols x rows) = transpose of src (rows x cols), offsets in floats. */
export function transposeInto(f: Float32Array, src: number, rows: number, cols: number, dst: number): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) f[dst + c * rows + r] = f[src + r * cols + c];
  }
}
