/**
 * Output hygiene for strings that come from the user's files: audit names, paths, and
 * messages that quote data. In text they are escaped to one visible line (no terminal
 * escapes, no carriage returns that overwrite a line, no bidi overrides that reorder it)
 * and bounded in length; no output line may begin, after its indentation, with a CI
 * workflow command (GitHub's `::error::`, Azure's `##vso[`), which CI runners obey.
 */

/**
 * C0 controls (newline and tab included: a user string is one line), DEL, C1 controls,
 * the Unicode line and paragraph separators, and the bidi marks, embeddings, overrides and
 * isolates.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Default bound on one user string in a report: long enough for any real message. */
export const MAX_REPORTED_CHARS = 2000;

function hex(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Every unsafe character as a visible escape (`\x1b`, `\r`, `\u202e`); the rest unchanged. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? hex(c));
}

/** `text` escaped and cut to `max` characters, saying how much was left out. */
export function excerpt(text: string, max = MAX_REPORTED_CHARS): string {
  // Cut before escaping: escaping a 200 MB string would cost 200 MB.
  const cut = text.length > max;
  let out = escapeControl(cut ? text.slice(0, max) : text);
  const escapedCut = out.length > max;
  if (escapedCut) out = out.slice(0, max);
  return cut || escapedCut ? `${out}... (${text.length} characters in all)` : out;
}

/** A deep copy of `value` with every string passed through `oneLine` (object keys through `excerpt`). */
export function sanitizeStrings<T>(value: T, max = MAX_REPORTED_CHARS): T {
  return sanitize(value, max) as T;
}

function sanitize(value: unknown, max: number): unknown {
  // Escaped to one line and neutralised: wherever a renderer puts it, it cannot start a workflow command.
  if (typeof value === 'string') return guardWorkflowCommands(excerpt(value, max));
  if (Array.isArray(value)) return value.map((v) => sanitize(v, max));
  // Typed arrays, dates and class instances pass through: only plain data is user text.
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[excerpt(k, max)] = sanitize(v, max);
    return out;
  }
  return value;
}

/**
 * Serialised JSON with the characters JSON.stringify leaves raw (DEL, C1, line/paragraph
 * separators, bidi controls), and the '#' that starts an Azure logging command, written as
 * \uXXXX: the same JSON value, safe to print.
 */
export function escapeJsonText(json: string): string {
  return json
    .replace(/[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    // Only strings can hold these, and \u0023 is '#' in a JSON string: an Azure agent printing the file sees no command.
    .replace(/##(vso\[|\[)/gi, '\\u0023#$1');
}

/**
 * Neutralises workflow commands at the start of a line (after whitespace, as GitHub's
 * runner trims it) and Azure's `##vso[` / `##[` anywhere: the first character becomes an
 * escape, so the text still reads the same to a person.
 */
export function guardWorkflowCommands(text: string): string {
  return text
    .replace(/^([ \t]*)::/gm, '$1\\x3a:')
    .replace(/##(vso\[|\[)/gi, '\\x23#$1');
}

/** One line of user text for a terminal or log: escaped, bounded, and unable to start a workflow command. */
export function oneLine(text: string, max = MAX_REPORTED_CHARS): string {
  return guardWorkflowCommands(excerpt(text, max));
}
