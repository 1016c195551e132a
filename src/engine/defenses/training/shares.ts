/** How the members are split among the models a defense trains. */
import { deriveSeed, makeRandom, permutation } from '../../shadow/random';

/**
 * `models` disjoint shares of records 0..count-1 covering all of them (sizes differ by at
 * most one), from a seeded permutation; one share of everything when models = 1.
 */
export function memberShares(count: number, models: number, seed: number): Int32Array[] {
  if (models === 1) return [Int32Array.from({ length: count }, (_, i) => i)];
  const order = permutation(count, makeRandom(deriveSeed(seed, 'ensemble-shares')));
  return Array.from({ length: models }, (_, m) => {
    const start = Math.floor((m * count) / models);
    const end = Math.floor(((m + 1) * count) / models);
    return order.slice(start, end).sort();
  });
}
