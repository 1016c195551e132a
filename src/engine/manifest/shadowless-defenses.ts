/**
 * Training-time defenses that shadow models cannot be trained with (defended-shadows.ts),
 * with the reason. Free of TensorFlow, so the manifest checks name the same reason.
 */
const NOT_ON_SHADOWS: Readonly<Record<string, string>> = {
  'kl-pruning': "it prunes and fine-tunes the target's own trained weights, and a shadow model has no trained target to start from",
};

/** Why shadow models cannot reproduce this defense, or undefined when they can. */
export function shadowRefusal(defense: string): string | undefined {
  return Object.hasOwn(NOT_ON_SHADOWS, defense) ? NOT_ON_SHADOWS[defense] : undefined;
}
