/**
 * Errors caused by the user's files or settings. They carry where the problem is
 * (file, line/column or record/field) so every surface can point at it; anything that
 * is not an InputError is a bug in the engine.
 */
export interface SourceLocation {
  /** Path of the file the problem is in, as the user named it or absolute. */
  file: string;
  /** 1-based line in a text file. */
  line?: number;
  /** 1-based column (field index for CSV). */
  column?: number;
  /** 0-based record index (row after the header, JSONL line, array element). */
  record?: number;
  /** Field or key name: a CSV column, a JSON key path, an NPZ member. */
  field?: string;
}

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string, readonly location: SourceLocation) {
    super(`${formatLocation(location)}: ${message}`);
  }
}

export function formatLocation(loc: SourceLocation): string {
  let text = loc.file;
  if (loc.line !== undefined) text += `:${loc.line}${loc.column !== undefined ? `:${loc.column}` : ''}`;
  const extra: string[] = [];
  if (loc.record !== undefined) extra.push(`record ${loc.record}`);
  if (loc.field !== undefined) extra.push(`field "${loc.field}"`);
  return extra.length ? `${text} (${extra.join(', ')})` : text;
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}
