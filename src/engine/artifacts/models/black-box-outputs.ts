/**
 * Class probabilities from the raw outputs of a black-box model (ONNX, TF.js graph), whose
 * last operation we do not inspect: the values themselves say what they are. Rows that
 * are non-negative and sum to 1 are probabilities; anything else is logits and gets a
 * softmax. A single output unit is a binary model: a probability in [0, 1] or a logit.
 */

export type RawOutputKind = 'probabilities' | 'logits' | 'sigmoid-probability' | 'sigmoid-logit';

/** How far a row of float32 probabilities may sum from 1. */
const SUM_TOLERANCE = 1e-3;

export function detectOutputKind(values: Float32Array, rows: number, units: number): RawOutputKind {
  if (units === 1) {
    return values.every((v) => v >= 0 && v <= 1) ? 'sigmoid-probability' : 'sigmoid-logit';
  }
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let k = 0; k < units; k++) {
      const v = values[r * units + k];
      if (!(v >= 0)) return 'logits';
      sum += v;
    }
    if (Math.abs(sum - 1) > SUM_TOLERANCE) return 'logits';
  }
  return 'probabilities';
}

/** rows x numClasses probabilities (numClasses = 2 for a single unit). */
export function toProbabilities(values: Float32Array, rows: number, units: number, kind: RawOutputKind): Float32Array {
  if (kind === 'probabilities') return values.slice(0, rows * units);
  if (kind === 'sigmoid-probability' || kind === 'sigmoid-logit') {
    const out = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const p = kind === 'sigmoid-logit' ? 1 / (1 + Math.exp(-values[r])) : values[r];
      out[2 * r] = 1 - p;
      out[2 * r + 1] = p;
    }
    return out;
  }
  const out = new Float32Array(rows * units);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let k = 0; k < units; k++) max = Math.max(max, values[r * units + k]);
    let sum = 0;
    for (let k = 0; k < units; k++) sum += Math.exp(values[r * units + k] - max);
    for (let k = 0; k < units; k++) out[r * units + k] = Math.exp(values[r * units + k] - max) / sum;
  }
  return out;
}
