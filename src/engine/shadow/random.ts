/**
 * Seeded randomness for shadow training. Every random choice (keep matrix, population
 * fill, epoch order, weight initialisation seeds) derives from the user's seed and a
 * purpose tag, so a run is reproducible and a cached shadow can be trusted to be the
 * one a fresh run would train.
 */

import { shuffleInPlace, uniformRandom } from '../random';

/** A uniform [0, 1) generator (mulberry32: fast, 32-bit state, good enough for sampling). */
export type Random = () => number;

/** The engine's seeded generator (src/engine/random.ts). */
export const makeRandom: (seed: number) => Random = uniformRandom;

/**
 * A 32-bit seed for one purpose, e.g. deriveSeed(seed, 'epoch', shadow, epoch): mixing
 * the parts (murmur3-style finaliser per part) keeps streams of different purposes,
 * shadows and epochs unrelated even for adjacent user seeds.
 */
export function deriveSeed(seed: number, purpose: string, ...parts: number[]): number {
  let h = mix(0x9e3779b9 ^ (seed >>> 0));
  for (let i = 0; i < purpose.length; i++) h = mix(h ^ purpose.charCodeAt(i));
  for (const p of parts) h = mix(h ^ (p >>> 0));
  return h >>> 0;
}

function mix(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export { shuffleInPlace };

/** 0..n-1 in a seeded random order. */
export function permutation(n: number, random: Random): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, random);
}
