/**
 * Shared by the learned output-defense tests (MemGuard, PURIFIER): seeded outputs of an
 * overfit model and a check that defended rows are still distributions.
 */
import assert from 'node:assert/strict';
import { gaussianRandom } from '../../src/engine/random';

export const CLASSES = 5;

/**
 * Outputs of an overfit model: members get a large logit margin on their label (memorised),
 * records it never saw a small one. Same generator, different seeds, for every group.
 */
export function overfitOutputs(records: number, margin: number, seed: number): Float32Array {
  const normal = gaussianRandom(seed);
  const out = new Float32Array(records * CLASSES);
  for (let r = 0; r < records; r++) {
    const label = r % CLASSES;
    const logits = Array.from({ length: CLASSES }, (_, c) => normal() + (c === label ? margin + normal() : 0));
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, c) => (out[r * CLASSES + c] = e / sum));
  }
  return out;
}

/** Every row non-negative, finite and summing to 1 within 1e-6. */
export function assertDistributions(out: Float32Array, what: string): void {
  for (let r = 0; r < out.length / CLASSES; r++) {
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) {
      const p = out[r * CLASSES + c];
      assert.ok(p >= 0 && Number.isFinite(p), `${what}: record ${r} class ${c} is ${p}`);
      sum += p;
    }
    assert.ok(Math.abs(sum - 1) < 1e-6, `${what}: record ${r} sums to ${sum}`);
  }
}
