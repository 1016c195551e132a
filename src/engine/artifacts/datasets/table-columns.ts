import { InputError, type SourceLocation } from '../../errors';
import { LabelCollector } from './labels';
import { DEFAULT_LABEL_NAMES, findDefaultLabel, listNames } from './label-names';
import type { LoadedRecords } from './loaded-records';
import { formatBytes } from './read-file';

/** What a columnar file's column can be used for. */
export type ColumnKind = 'number' | 'text' | 'numberList' | 'unsupported';

/** One column of a Parquet or Arrow table, as its reader exposes it. */
export interface TableColumn {
  name: string;
  /** The type as the file declares it, for messages: "INT64", "Utf8", "List<Float32>". */
  typeName: string;
  kind: ColumnKind;
  /**
   * Row r's value: number, bigint or boolean for 'number'; string for 'text'; an
   * array-like of numbers for 'numberList'; null or undefined when missing.
   */
  get(row: number): unknown;
}

export interface TableOptions {
  /** Label column by name or 0-based index; default: label/target/y/class. */
  label?: string | number;
  /** Labels come from a separate file: every column is then a feature. */
  labelsFromFile: boolean;
  /** Cap on the float features (4 bytes a value). */
  maxFeatureBytes: number;
}

/**
 * Parquet and Arrow tables, read like CSV: one column holds the label (class indices or
 * class names, see LabelCollector), every other column is a number or a list of numbers of
 * one length (a feature vector), and a record's features are those values in column order.
 */
export function tableToRecords(columns: TableColumn[], rowCount: number, file: string, opts: TableOptions): LoadedRecords {
  const { labelColumn, featureColumns } = planColumns(columns, file, opts);
  if (rowCount === 0) throw new InputError('table has no rows', { file });

  // Widths come from the first row; every other row must match them.
  const widths = featureColumns.map((c) => (c.kind === 'number' ? 1 : listOf(c, 0, file).length));
  featureColumns.forEach((c, i) => {
    if (widths[i] === 0) throw new InputError('empty list in the first row; expected the record\'s feature values', { file, record: 0, field: c.name });
  });
  const size = widths.reduce((a, b) => a + b, 0);
  if (rowCount * size * 4 >= opts.maxFeatureBytes) {
    throw new InputError(`${rowCount} rows of ${size} feature values make ${formatBytes(rowCount * size * 4)} of float features; at most ${formatBytes(opts.maxFeatureBytes)}`, { file });
  }

  const features = new Float32Array(rowCount * size);
  const labels = new LabelCollector(file);
  for (let r = 0; r < rowCount; r++) {
    let at = r * size;
    featureColumns.forEach((c, i) => {
      const where = { file, record: r, field: c.name };
      if (c.kind === 'number') {
        features[at++] = finite(toNumber(c.get(r), c, where), where);
        return;
      }
      const list = listOf(c, r, file);
      if (list.length !== widths[i]) {
        throw new InputError(`list of ${list.length} values; expected ${widths[i]} as in the first row`, where);
      }
      for (let k = 0; k < list.length; k++) features[at++] = finite(toNumber(list[k], c, { ...where, field: `${c.name}[${k}]` }), where);
    });
    if (labelColumn) labels.add(labelText(labelColumn.get(r), labelColumn, { file, record: r, field: labelColumn.name }), { record: r, field: labelColumn.name });
  }
  return { count: rowCount, featureShape: [size], features, labels: labelColumn ? labels.finish() : undefined };
}

/**
 * Picks the label column and checks every column's type, before any value is read, so a
 * reader can refuse an unusable table without decoding it. Errors name the column.
 */
export function planColumns<C extends Omit<TableColumn, 'get'>>(columns: C[], file: string, opts: Omit<TableOptions, 'maxFeatureBytes'>): { labelColumn?: C; featureColumns: C[] } {
  const names = columns.map((c) => c.name);
  const labelIndex = resolveLabelColumn(names, opts, file);
  const labelColumn = labelIndex >= 0 ? columns[labelIndex] : undefined;
  if (labelColumn && labelColumn.kind !== 'number' && labelColumn.kind !== 'text') {
    throw new InputError(`label column has type ${labelColumn.typeName}; expected integers (class indices) or strings (class names)`, { file, field: labelColumn.name });
  }
  const featureColumns = columns.filter((c) => c !== labelColumn);
  for (const c of featureColumns) {
    if (c.kind === 'number' || c.kind === 'numberList') continue;
    const why = c.kind === 'text' ? 'text is only accepted in the label column' : 'this type is not supported';
    throw new InputError(`column has type ${c.typeName}; expected numbers or lists of numbers as features (${why})`, { file, field: c.name });
  }
  if (featureColumns.length === 0) {
    throw new InputError(`no feature columns besides the label; the table has ${listNames(names)}`, { file });
  }
  return { labelColumn, featureColumns };
}

function resolveLabelColumn(names: string[], opts: Omit<TableOptions, 'maxFeatureBytes'>, file: string): number {
  const loc = { file };
  if (opts.labelsFromFile) {
    if (opts.label !== undefined) throw new InputError(`both a label column (${JSON.stringify(opts.label)}) and labelsPath are set; use one of them`, loc);
    return -1;
  }
  if (typeof opts.label === 'number') {
    if (Number.isInteger(opts.label) && opts.label >= 0 && opts.label < names.length) return opts.label;
    throw new InputError(`label column index ${opts.label} is out of range: expected 0..${names.length - 1} for the ${names.length} columns ${listNames(names)}`, loc);
  }
  if (typeof opts.label === 'string') {
    const wanted = opts.label.trim();
    let i = names.indexOf(wanted);
    if (i < 0) i = names.findIndex((n) => n.toLowerCase() === wanted.toLowerCase());
    if (i >= 0) return i;
    throw new InputError(`no label column "${opts.label}"; the table has ${listNames(names)}`, loc);
  }
  const i = findDefaultLabel(names);
  if (i >= 0) return i;
  throw new InputError(`no label column: expected one named ${DEFAULT_LABEL_NAMES.join(', ')} (any case), or set "label"; the table has ${listNames(names)}`, loc);
}

function listOf(column: TableColumn, row: number, file: string): ArrayLike<unknown> {
  const value = column.get(row);
  if (value === null || value === undefined) throw new InputError('missing value (null); expected a list of numbers', { file, record: row, field: column.name });
  if (typeof value !== 'object' || typeof (value as ArrayLike<unknown>).length !== 'number') {
    throw new InputError(`found ${describe(value)}; expected a list of numbers`, { file, record: row, field: column.name });
  }
  return value as ArrayLike<unknown>;
}

function toNumber(value: unknown, column: TableColumn, where: SourceLocation): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === null || value === undefined) throw new InputError(`missing value (null); expected a number (column type ${column.typeName})`, where);
  throw new InputError(`found ${describe(value)}; expected a number (column type ${column.typeName})`, where);
}

function finite(value: number, where: SourceLocation): number {
  if (Number.isFinite(Math.fround(value))) return value;
  const what = Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? `${value}, beyond float32 range` : String(value);
  throw new InputError(`feature value is ${what}; expected finite numbers`, where);
}

function labelText(value: unknown, column: TableColumn, where: SourceLocation): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value === null || value === undefined) throw new InputError('missing label (null); expected a class index or class name', where);
  throw new InputError(`found ${describe(value)} in label column of type ${column.typeName}; expected a class index or class name`, where);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object' && value !== null) return `a ${value.constructor?.name ?? 'value'}`;
  return String(value);
}
