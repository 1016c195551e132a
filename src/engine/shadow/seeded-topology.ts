/**
 * A copy of a model topology whose random weight initialisers are seeded per shadow.
 * tfjs initialisers take a `seed` in their config and then draw their values in
 * JavaScript (seedrandom), so a seeded topology gives the same initial weights on every
 * backend and in every thread: the stacked and per-model trainers, and a re-run, all
 * start shadow s from identical weights.
 */
import { deriveSeed } from './random';

/** Initialiser classes whose config accepts a seed (tfjs-layers 4.22). */
const SEEDED_INITIALIZERS = new Set([
  'RandomUniform', 'RandomNormal', 'TruncatedNormal', 'VarianceScaling', 'Orthogonal',
  'GlorotUniform', 'GlorotNormal', 'HeUniform', 'HeNormal', 'LeCunUniform', 'LeCunNormal',
]);

export function seededTopology(topology: Record<string, unknown>, seed: number, shadow: number): Record<string, unknown> {
  let counter = 0;
  const visit = (value: unknown, key: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => visit(v, ''));
    if (typeof value !== 'object' || value === null) return value;
    const obj = value as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) copy[k] = visit(v, k);
    const initializer = /_initializer$|Initializer$/.test(key) && typeof obj.class_name === 'string';
    if (initializer && SEEDED_INITIALIZERS.has(obj.class_name as string)) {
      const config = typeof copy.config === 'object' && copy.config !== null ? { ...(copy.config as object) } : {};
      // tfjs seeds are used as seedrandom keys; any 32-bit integer works.
      (config as Record<string, unknown>).seed = deriveSeed(seed, 'init', shadow, counter++);
      copy.config = config;
    }
    return copy;
  };
  return visit(topology, '') as Record<string, unknown>;
}
