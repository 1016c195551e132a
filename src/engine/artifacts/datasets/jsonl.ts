import { InputError, type SourceLocation } from '../../errors';
import { Float32Builder } from './float-builder';
import { excerpt } from '../../report/escape';
import { MAX_RECORD_CHARS } from './csv';
import { LabelCollector } from './labels';
import { DEFAULT_LABEL_NAMES, findDefaultLabel, listNames } from './label-names';
import type { LoadedRecords } from './loaded-records';
import { forEachLine } from './lines';
import { formatShape, MAX_QUOTED_CHARS } from './numbers';

export interface JsonlOptions {
  /** Label key; default: label/target/y/class. A number is taken as the key's text. */
  label?: string | number;
  /** Labels come from a separate file: no label key is read, every numeric key is a feature. */
  labelsFromFile: boolean;
}

/** How features are laid out in each object, decided from the first record. */
type Layout =
  | { kind: 'array'; key: string; shape: number[] }
  | { kind: 'keys'; keys: string[] };

const FEATURE_ARRAY_KEYS = ['features', 'x'];

/**
 * JSON Lines: one object per line holding a label and either a (possibly nested) numeric
 * array under "features" or "x", or one number per key, in the first line's key order.
 * Blank lines are skipped; line numbers in errors count them.
 */
export function parseJsonl(bytes: Buffer, file: string, opts: JsonlOptions): LoadedRecords {
  const features = new Float32Builder();
  const labels = new LabelCollector(file);
  let layout: Layout | undefined;
  let labelKey: string | undefined;
  let record = 0;
  forEachLine(bytes, (raw, line) => {
    const text = raw.trim();
    if (text === '') return;
    const loc: SourceLocation = { file, line, record };

    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      // V8 quotes the text around the error: kept short.
      throw new InputError(`invalid JSON: ${excerpt((e as Error).message, 300)}`, loc);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new InputError(`expected a JSON object per line, found ${Array.isArray(obj) ? 'an array' : typeof obj === 'object' ? 'null' : typeof obj}`, loc);
    }
    const row = obj as Record<string, unknown>;
    if (!layout) {
      if (opts.labelsFromFile && opts.label !== undefined) {
        throw new InputError(`both a label key (${JSON.stringify(opts.label)}) and labelsPath are set; use one of them`, loc);
      }
      labelKey = opts.labelsFromFile ? undefined : resolveLabelKey(row, opts, loc);
      layout = decideLayout(row, labelKey, loc);
    }

    if (labelKey !== undefined) labels.add(labelText(row[labelKey], { ...loc, field: labelKey }), { line, record, field: labelKey });
    if (layout.kind === 'array') {
      flatten(row[layout.key], layout.shape, layout.key, features, loc);
    } else {
      for (const key of layout.keys) {
        const value = row[key];
        if (typeof value !== 'number') {
          throw new InputError(`expected a number, found ${value === undefined ? 'no such key' : excerpt(JSON.stringify(value), MAX_QUOTED_CHARS)}`, { ...loc, field: key });
        }
        pushFinite(value, features, { ...loc, field: key });
      }
    }
    record++;
  }, { maxBytes: MAX_RECORD_CHARS, tooLong: (line, n) => new InputError(`line is ${n} bytes; JSON Lines records must be at most ${MAX_RECORD_CHARS} bytes`, { file, line }) });

  if (!layout) throw new InputError('file is empty; expected one JSON object per line', { file });
  return {
    count: record,
    featureShape: layout.kind === 'array' ? layout.shape : [layout.keys.length],
    features: features.finish(),
    labels: labelKey !== undefined ? labels.finish() : undefined,
  };
}

function resolveLabelKey(first: Record<string, unknown>, opts: JsonlOptions, loc: SourceLocation): string {
  const keys = Object.keys(first);
  if (opts.label !== undefined) {
    const wanted = String(opts.label);
    if (wanted in first) return wanted;
    throw new InputError(`no label key "${wanted}" in the first record; it has keys ${listNames(keys)}`, loc);
  }
  const i = findDefaultLabel(keys);
  if (i >= 0) return keys[i];
  throw new InputError(
    `no label key: expected one named ${DEFAULT_LABEL_NAMES.join(', ')} (any case), or set "label"; the first record has keys ${listNames(keys)}`,
    loc,
  );
}

function decideLayout(first: Record<string, unknown>, labelKey: string | undefined, loc: SourceLocation): Layout {
  const arrayKey = FEATURE_ARRAY_KEYS.find((k) => k !== labelKey && Array.isArray(first[k]));
  if (arrayKey) {
    const shape = shapeOf(first[arrayKey]);
    if (shape.includes(0)) throw new InputError(`"${arrayKey}" is an empty array; expected the record's feature values`, { ...loc, field: arrayKey });
    return { kind: 'array', key: arrayKey, shape };
  }
  const keys = Object.keys(first).filter((k) => k !== labelKey && typeof first[k] === 'number');
  if (keys.length === 0) {
    throw new InputError(
      `no features: expected a "features" or "x" array, or numeric keys besides the label; the first record has keys ${listNames(Object.keys(first))}`,
      loc,
    );
  }
  return { kind: 'keys', keys };
}

/** Shape read along first elements; flatten() then checks every record against it. */
function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  while (Array.isArray(value)) {
    shape.push(value.length);
    value = value[0];
  }
  return shape;
}

function flatten(value: unknown, shape: number[], path: string, out: Float32Builder, loc: SourceLocation, depth = 0): void {
  if (depth === shape.length) {
    if (typeof value !== 'number') throw new InputError(`expected a number, found ${excerpt(JSON.stringify(value) ?? 'nothing', MAX_QUOTED_CHARS)}`, { ...loc, field: path });
    pushFinite(value, out, { ...loc, field: path });
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    const found = Array.isArray(value) ? `an array of ${value.length}` : (JSON.stringify(value) ?? 'nothing');
    throw new InputError(
      `expected an array of ${shape[depth]} (features have shape ${formatShape(shape)} as in the first record), found ${found}`,
      { ...loc, field: path },
    );
  }
  for (let i = 0; i < value.length; i++) flatten(value[i], shape, `${path}[${i}]`, out, loc, depth + 1);
}

function pushFinite(value: number, out: Float32Builder, loc: SourceLocation): void {
  // JSON has no NaN; only overflow (1e999, or beyond float32) gets here.
  if (!Number.isFinite(Math.fround(value))) throw new InputError(`found ${value}, expected a number within float32 range (about ±3.4e38)`, loc);
  out.push(value);
}

/** Labels go through the same text rules as CSV cells; booleans count as 0/1. */
function labelText(value: unknown, loc: SourceLocation): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  throw new InputError(`expected a class index or class name, found ${value === undefined ? 'no label' : JSON.stringify(value)}`, loc);
}
