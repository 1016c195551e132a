/**
 * Strict decimal parsing for text cells. Number() alone would accept "" (as 0), "0x1F",
 * "Infinity" and surrounding spaces, all of which hide broken data.
 */
import { excerpt } from '../../report/escape';

/** Longest stretch of a data cell quoted in a message. */
export const MAX_QUOTED_CHARS = 200;

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

export function parseDecimal(text: string): number | undefined {
  return DECIMAL.test(text) ? Number(text) : undefined;
}

/** A feature value that survives storage as float32, or undefined. */
export function parseFeature(text: string): number | undefined {
  const value = parseDecimal(text);
  return value !== undefined && Number.isFinite(Math.fround(value)) ? value : undefined;
}

/** Explains why a cell is not a usable feature value (for cells parseFeature refused). */
export function describeBadFeature(raw: string): string {
  // The cell is the user's data: quoted as a short, escaped excerpt.
  const text = excerpt(raw, MAX_QUOTED_CHARS);
  const cell = raw.trim();
  if (cell === '') return 'empty cell, expected a number';
  if (NON_FINITE.test(cell)) return `found "${text}", expected a finite number (NaN and Infinity are not usable features)`;
  if (parseDecimal(cell) !== undefined) return `found ${excerpt(cell, MAX_QUOTED_CHARS)}, expected a number within float32 range (about ±3.4e38)`;
  return `found "${text}", expected a number`;
}

/** "[28, 28, 1]" for messages; null dims (any size) print as "?". */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}
