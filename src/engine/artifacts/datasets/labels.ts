import { InputError, type SourceLocation } from '../../errors';
import { excerpt } from '../../report/escape';
import { MAX_QUOTED_CHARS, parseDecimal } from './numbers';

/** A label cell quoted in a message: short and escaped (it is the user's data). */
const q = (cell: string) => excerpt(cell, MAX_QUOTED_CHARS);

/** Largest class index an Int32Array label can hold. */
const MAX_LABEL = 2 ** 31 - 1;

/**
 * Turns label cells read from text (CSV, JSONL, one-label-per-line files) into class indices.
 *
 * Labels are either all integer class indices (used as they are; "1.0" counts as 1) or all
 * class names. Class names are mapped to indices in sorted order (JavaScript's default
 * string order, i.e. by UTF-16 code unit), so "cat", "dog", "emu" become 0, 1, 2 whatever
 * order the records are in. A non-integer or negative number, or a mix of numbers and
 * names, is an InputError at that cell.
 */
export class LabelCollector {
  private readonly indices: number[] = [];
  private readonly names: string[] = [];
  private first: { kind: 'index' | 'name'; text: string; where: SourceLocation } | undefined;

  constructor(private readonly file: string) {}

  get count(): number {
    return this.first?.kind === 'name' ? this.names.length : this.indices.length;
  }

  /** `where` locates the cell (line/column/record/field) for errors; `file` is filled in. */
  add(text: string, where: Omit<SourceLocation, 'file'>): void {
    const loc = { file: this.file, ...where };
    const cell = text.trim();
    if (cell === '') throw new InputError('empty label, expected a class index or class name', loc);
    const value = parseDecimal(cell);
    const kind = value === undefined ? 'name' : 'index';
    if (!this.first) this.first = { kind, text: cell, where: loc };
    else if (this.first.kind !== kind) {
      const firstAt = this.first.where.line !== undefined ? `line ${this.first.where.line}` : `record ${this.first.where.record}`;
      throw new InputError(
        `label "${q(cell)}" is a ${kind === 'name' ? 'class name' : 'number'} but the first label ("${q(this.first.text)}", ${firstAt}) is a ${this.first.kind === 'name' ? 'class name' : 'class index'}; labels must be all class indices or all class names`,
        loc,
      );
    }
    if (value === undefined) {
      this.names.push(cell);
      return;
    }
    if (!Number.isInteger(value)) throw new InputError(`label ${q(cell)} is not an integer; expected a class index (0, 1, 2, ...) or a class name`, loc);
    if (value < 0) throw new InputError(`label ${q(cell)} is negative; class indices start at 0`, loc);
    if (value > MAX_LABEL) throw new InputError(`label ${q(cell)} is too large for a class index (at most ${MAX_LABEL})`, loc);
    this.indices.push(value);
  }

  finish(): Int32Array {
    if (this.first?.kind !== 'name') return Int32Array.from(this.indices);
    const classes = [...new Set(this.names)].sort();
    const indexOf = new Map(classes.map((name, i) => [name, i]));
    return Int32Array.from(this.names, (name) => indexOf.get(name)!);
  }
}
