/**
 * JSON parsing that keeps offsets, with syntax errors turned into problems that say what
 * was expected and what was found. privacy-audit.json is strict JSON: comments and
 * trailing commas are errors, as in VS Code's JSON mode.
 */
import { getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { LineIndex, type ManifestRanges } from './ranges';
import type { ManifestProblem } from './types';

export interface ParsedJson {
  root: Node | undefined;
  /** The JSON value (last one wins for duplicate keys); undefined when there is no value. */
  value: unknown;
  syntaxErrors: ParseError[];
}

export function parseJsonWithOffsets(text: string): ParsedJson {
  // A byte-order mark is not JSON but editors and fs keep it; blank it out without
  // moving any offset.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  const syntaxErrors: ParseError[] = [];
  const root = parseTree(source, syntaxErrors, { disallowComments: true, allowTrailingComma: false });
  return { root, value: root ? getNodeValue(root) : undefined, syntaxErrors: withoutCascades(syntaxErrors) };
}

/** Deeper than any manifest needs, and far below what the recursive parser survives (~5000). */
export const MAX_NESTING = 256;

/** A problem at the bracket that opens level MAX_NESTING + 1, or undefined (strings skipped). */
export function nestingProblem(text: string): ManifestProblem | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > MAX_NESTING) {
        return {
          message: `JSON nesting error: expected at most ${MAX_NESTING} levels of nested objects and arrays, found more at this bracket.`,
          range: new LineIndex(text).range(i, 1),
          severity: 'error',
          path: [],
        };
      }
    } else if (c === '}' || c === ']') depth--;
  }
  return undefined;
}

/** The parser recovers by reporting follow-on errors right where the previous one ends; those repeat it. */
function withoutCascades(errors: ParseError[]): ParseError[] {
  const kept: ParseError[] = [];
  for (const e of errors) {
    const last = kept[kept.length - 1];
    if (last && e.offset >= last.offset && e.offset <= last.offset + last.length) continue;
    kept.push(e);
  }
  return kept;
}

export function syntaxProblems(text: string, errors: ParseError[], ranges: ManifestRanges): ManifestProblem[] {
  return errors.map((e) => ({
    message: syntaxMessage(text, e),
    range: ranges.rangeAt(e.offset, e.length),
    severity: 'error',
    path: [],
  }));
}

function syntaxMessage(text: string, e: ParseError): string {
  if (text.trim() === '') return 'The manifest is empty: expected a JSON object such as { "version": 1, "audits": [] }.';
  const found = describeFound(text, e);
  const code = printParseErrorCode(e.error);
  if ((code === 'PropertyNameExpected' || code === 'ValueExpected') && followsComma(text, e.offset) && /^[}\]]/.test(text.slice(e.offset))) {
    return `JSON syntax error: trailing comma before "${text[e.offset]}"; JSON allows no comma after the last item.`;
  }
  const expected: Record<string, string> = {
    InvalidSymbol: 'a JSON value (a string in double quotes, a number, an object, an array, true, false or null)',
    InvalidNumberFormat: 'a number such as 0.5, 12 or 1e-5 (no leading zeros, no trailing dot)',
    PropertyNameExpected: 'a property name in double quotes',
    ValueExpected: 'a value (a string in double quotes, a number, an object, an array, true, false or null)',
    ColonExpected: 'a colon ":" after the property name',
    CommaExpected: 'a comma "," between items',
    CloseBraceExpected: 'a closing brace "}"',
    CloseBracketExpected: 'a closing bracket "]"',
    EndOfFileExpected: 'the end of the file after the top-level object',
    InvalidCommentToken: 'no comments (JSON does not allow them)',
    UnexpectedEndOfComment: 'the end of the comment "*/"',
    UnexpectedEndOfString: 'a closing double quote at the end of the string',
    UnexpectedEndOfNumber: 'more digits',
    InvalidUnicode: 'four hexadecimal digits after \\u',
    InvalidEscapeCharacter: 'a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)',
    InvalidCharacter: 'no control characters inside a string (write \\t or \\n instead)',
  };
  return `JSON syntax error: expected ${expected[code] ?? 'valid JSON'}, found ${found}.`;
}

function describeFound(text: string, e: ParseError): string {
  if (e.offset >= text.length) return 'the end of the file';
  const slice = text.slice(e.offset, e.offset + Math.max(1, Math.min(e.length, 20)));
  return JSON.stringify(slice.length < e.length ? `${slice}...` : slice);
}

function followsComma(text: string, offset: number): boolean {
  const before = text.slice(0, offset).trimEnd();
  return before.endsWith(',');
}
