import { parse, CsvError, type InfoRecord } from 'csv-parse/sync';
import { InputError } from '../../errors';
import { excerpt } from '../../report/escape';
import { Float32Builder } from './float-builder';
import { LabelCollector } from './labels';
import { DEFAULT_LABEL_NAMES, findDefaultLabel, listNames } from './label-names';
import type { LoadedRecords } from './loaded-records';
import { describeBadFeature, parseFeature } from './numbers';

/** Longest CSV/TSV record accepted, in characters: far above any table's row, far below a 200 MB one-line file. */
export const MAX_RECORD_CHARS = 1024 * 1024;

export interface DelimitedOptions {
  delimiter: ',' | '\t';
  /** Label column by header name or 0-based index; default: label/target/y/class. */
  label?: string | number;
  /** Labels come from a separate file: every column is then a feature. */
  labelsFromFile: boolean;
}

/**
 * CSV/TSV with a header row. One column holds the label (see LabelCollector for how
 * integer and string labels become class indices); every other column is a numeric feature.
 */
export function parseDelimited(bytes: Uint8Array, file: string, opts: DelimitedOptions): LoadedRecords {
  const features = new Float32Builder();
  const labels = new LabelCollector(file);
  let header: string[] | undefined;
  let labelColumn = -1;
  let records = 0;

  const onRecord = (row: string[], ctx: InfoRecord): null => {
    // ctx.lines is the line the record ends on: exact for everything but multi-line quoted cells.
    const line = ctx.lines;
    if (!header) {
      header = row;
      labelColumn = resolveLabelColumn(header, opts, file);
      if (header.length === (labelColumn >= 0 ? 1 : 0)) {
        throw new InputError(`the header has no feature columns besides the label; found only ${listNames(header)}`, { file, line });
      }
      return null;
    }
    if (row.length !== header.length) {
      throw new InputError(`expected ${header.length} fields as in the header, found ${row.length}`, { file, line, record: records });
    }
    for (let c = 0; c < row.length; c++) {
      const where = { line, column: c + 1, record: records, field: header[c] };
      if (c === labelColumn) {
        labels.add(row[c], where);
        continue;
      }
      const value = parseFeature(row[c]);
      if (value === undefined) throw new InputError(describeBadFeature(row[c]), { file, ...where });
      features.push(value);
    }
    records++;
    return null;
  };

  try {
    parse(bytes, {
      bom: true,
      delimiter: opts.delimiter,
      relax_column_count: true, // ragged rows get our message, with the expected count
      skip_empty_lines: true,
      trim: true,
      // A record (a line, or quoted lines) longer than this fails at once with a short error.
      max_record_size: MAX_RECORD_CHARS,
      on_record: onRecord,
    });
  } catch (e) {
    if (e instanceof CsvError) {
      const line = typeof e.lines === 'number' ? e.lines : undefined;
      const kind = opts.delimiter === '\t' ? 'TSV' : 'CSV';
      if (e.code === 'CSV_MAX_RECORD_SIZE') {
        throw new InputError(`a record is longer than ${MAX_RECORD_CHARS} characters; ${kind} records (lines) must be shorter`, { file, line });
      }
      // csv-parse quotes the offending text: keep the message short.
      throw new InputError(`malformed ${kind}: ${excerpt(e.message, 300)}`, { file, line });
    }
    throw e;
  }

  if (!header) throw new InputError('file is empty; expected a header row followed by records', { file });
  if (records === 0) throw new InputError('file has a header row but no records', { file, line: 2 });
  const featureCount = header.length - (labelColumn >= 0 ? 1 : 0);
  return {
    count: records,
    featureShape: [featureCount],
    features: features.finish(),
    labels: labelColumn >= 0 ? labels.finish() : undefined,
  };
}

function resolveLabelColumn(header: string[], opts: DelimitedOptions, file: string): number {
  const loc = { file, line: 1 };
  if (opts.labelsFromFile) {
    if (opts.label !== undefined) {
      throw new InputError(`both a label column (${JSON.stringify(opts.label)}) and labelsPath are set; use one of them`, loc);
    }
    return -1;
  }
  if (typeof opts.label === 'number') {
    if (Number.isInteger(opts.label) && opts.label >= 0 && opts.label < header.length) return opts.label;
    throw new InputError(
      `label column index ${opts.label} is out of range: expected 0..${header.length - 1} for the ${header.length} columns ${listNames(header)}`,
      loc,
    );
  }
  if (typeof opts.label === 'string') {
    const wanted = opts.label.trim();
    let i = header.indexOf(wanted);
    if (i < 0) i = header.findIndex((h) => h.toLowerCase() === wanted.toLowerCase());
    if (i >= 0) return i;
    throw new InputError(`no label column "${opts.label}"; the header has ${listNames(header)}`, loc);
  }
  const i = findDefaultLabel(header);
  if (i >= 0) return i;
  throw new InputError(
    `no label column: expected one named ${DEFAULT_LABEL_NAMES.join(', ')} (any case), or set "label"; the header has ${listNames(header)}`,
    loc,
  );
}
