/** Seeded shuffles for the example's reproducible data split (the engine's own PRNG). */
import { uniformRandom } from '../../src/engine/random';

export const seededRandom = uniformRandom;

export function shuffledIndices(n: number, random: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}
