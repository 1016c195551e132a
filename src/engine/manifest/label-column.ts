/** Finds the label column of a CSV, TSV or JSONL file from its first line, for proposals. */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { DatasetFormat } from '../artifacts/datasets/format';
import { findDefaultLabel } from '../artifacts/datasets/label-names';

/** The label column's name as written in the file, or undefined (no such column, unreadable file). */
export function findLabelColumn(file: string, format: DatasetFormat): string | undefined {
  if (format !== 'csv' && format !== 'tsv' && format !== 'jsonl') return undefined;
  const line = firstLine(file);
  if (line === undefined) return undefined;
  let names: string[];
  if (format === 'jsonl') {
    try {
      const record: unknown = JSON.parse(line);
      if (!record || typeof record !== 'object' || Array.isArray(record)) return undefined;
      names = Object.keys(record);
    } catch {
      return undefined;
    }
  } else {
    names = line.split(format === 'tsv' ? '\t' : ',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
  }
  // The same choice the loader makes when the manifest names no label column.
  const index = findDefaultLabel(names);
  return index >= 0 ? names[index]!.trim() : undefined;
}

/** Reads only the start of the file: datasets can be gigabytes. */
function firstLine(file: string, maxBytes = 64 * 1024): string | undefined {
  let fd: number | undefined;
  try {
    // O_NONBLOCK and a regular-file check: a FIFO or device must not hang or feed a proposal.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(maxBytes);
    const read = readSync(fd, buffer, 0, maxBytes, 0);
    const text = buffer.subarray(0, read).toString('utf8').replace(/^\uFEFF/, '');
    return text.split(/\r?\n/, 1)[0];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
