/**
 * tfjs draws dropout masks (and any unseeded random op) from Math.random. Running a
 * training step with Math.random swapped for our seeded generator makes dropout
 * reproducible. The swap lasts for one synchronous call only, so no other code
 * (another await-ing task in this thread) ever sees the seeded generator.
 */
import type { Random } from '../../shadow/random';

export function withSeededMathRandom<T>(random: Random, run: () => T): T {
  const original = Math.random;
  Math.random = random;
  try {
    return run();
  } finally {
    Math.random = original;
  }
}
