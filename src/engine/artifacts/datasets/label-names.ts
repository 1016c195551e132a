/** Column/key names taken as the label when none is given, in order of preference. */
export const DEFAULT_LABEL_NAMES = ['label', 'target', 'y', 'class'] as const;

/** Index of the first default label name present in `names` (case-insensitive), or -1. */
export function findDefaultLabel(names: readonly string[]): number {
  const lower = names.map((n) => n.trim().toLowerCase());
  for (const candidate of DEFAULT_LABEL_NAMES) {
    const i = lower.indexOf(candidate);
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * "a", "b", "c" for messages: every name up to 50 (a wide table's label is often far
 * from the start), then a count, so a 784-column header stays readable.
 */
export function listNames(names: readonly string[], max = 50): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
