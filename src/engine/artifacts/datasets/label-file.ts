import { InputError } from '../../errors';
import { MAX_RECORD_CHARS } from './csv';
import { formatFromName } from './format';
import { parseIdx } from './idx';
import { LabelCollector } from './labels';
import { forEachLine } from './lines';
import { ndarrayToLabels } from './ndarray';
import { parseNpy } from './npy';
import { readDataFile } from './read-file';

/**
 * Reads a separate labels file: NPY or IDX by name (optionally gzipped), anything else
 * as text with one label per line (class indices or class names, as in LabelCollector).
 */
export async function loadLabelsFile(file: string): Promise<Int32Array> {
  const bytes = await readDataFile(file, undefined, 'labels file');
  const format = formatFromName(file);
  if (format === 'npy') return ndarrayToLabels(parseNpy(bytes, { file }), { file });
  if (format === 'idx') return ndarrayToLabels(parseIdx(bytes, file), { file });
  if (format !== undefined && format !== 'csv' && format !== 'tsv') {
    throw new InputError(`a labels file must be NPY, IDX or text with one label per line, found ${format.toUpperCase()}`, { file });
  }
  return parseLabelLines(bytes, file);
}

function parseLabelLines(bytes: Buffer, file: string): Int32Array {
  const labels = new LabelCollector(file);
  // A blank line is an error unless only blank lines follow it (a trailing newline or two).
  let firstBlank: number | undefined;
  let record = 0;
  forEachLine(bytes, (text, line) => {
    if (text.trim() === '') {
      firstBlank ??= line;
      return;
    }
    if (firstBlank !== undefined) {
      throw new InputError('empty line, expected a label (one per line, blank lines only at the end)', { file, line: firstBlank, record });
    }
    labels.add(text, { line, record });
    record++;
  }, { maxBytes: MAX_RECORD_CHARS, tooLong: (line, n) => new InputError(`line is ${n} bytes; a label line must be at most ${MAX_RECORD_CHARS} bytes`, { file, line }) });
  if (record === 0) throw new InputError('labels file is empty; expected one label per line', { file });
  return labels.finish();
}
