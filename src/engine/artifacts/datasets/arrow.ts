import { DataType, RecordBatchReader, Table, type Field, type RecordBatch, type Vector } from 'apache-arrow';
import { InputError } from '../../errors';
import { checkArrowIpc } from './arrow-ipc-check';
import type { LoadedRecords } from './loaded-records';
import { MAX_TABLE_ROWS } from './parquet';
import { planColumns, tableToRecords, type ColumnKind, type TableColumn, type TableOptions } from './table-columns';
import { describeStart } from './npy';

const FILE_MAGIC = 'ARROW1';
const FEATHER_V1_MAGIC = 'FEA1';

/**
 * An Arrow IPC file or stream (.arrow, .feather v2, .arrows), read with apache-arrow.
 * Columns are mapped as for CSV, see tableToRecords: integer, float and boolean columns
 * are features, List and FixedSizeList columns of numbers are feature vectors, and the
 * label column may also hold strings (plain or dictionary-encoded, as pandas categoricals).
 */
export function readArrow(bytes: Uint8Array, file: string, opts: TableOptions): LoadedRecords {
  const start = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 8)).toString('latin1');
  if (start.startsWith(FEATHER_V1_MAGIC)) {
    throw new InputError('Feather version 1 file: only Feather version 2 (Arrow IPC) is read; re-save it with pyarrow.feather.write_feather(table, path)', { file });
  }
  const isStream = bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff;
  if (!start.startsWith(FILE_MAGIC) && !isStream) {
    throw new InputError(`not an Arrow IPC file: expected it to start with "ARROW1" (file) or ff ff ff ff (stream), found ${describeStart(bytes)}`, { file });
  }
  checkArrowIpc(bytes, file, start.startsWith(FILE_MAGIC));
  const table = readTable(bytes, file);
  if (table.schema.fields.length === 0) throw new InputError('Arrow file declares no columns', { file });
  if (!(table.numRows <= MAX_TABLE_ROWS)) throw new InputError(`Arrow file holds ${table.numRows} rows; at most ${MAX_TABLE_ROWS} are read`, { file });
  // Every usable column stores at least a bit per row; more rows than that is a corrupt length.
  if (table.numRows > bytes.length * 8) throw new InputError(`corrupt Arrow data: ${table.numRows} rows declared in a ${bytes.length}-byte file`, { file });

  const described = table.schema.fields.map(describeField);
  planColumns(described, file, opts); // refuses unusable columns by name before reading values
  const columns: TableColumn[] = described.map((d, i) => {
    const vector = table.getChildAt(i);
    if (!vector) throw new InputError('corrupt Arrow data: a declared column has no data', { file, field: d.name });
    return { ...d, get: (r: number) => readValue(vector, r, d.kind, file, d.name) };
  });
  return tableToRecords(columns, table.numRows, file, opts);
}

/**
 * tableFromIPC, minus its endless loop: its file reader re-reads a footer block forever when
 * the message there is not a record batch (a corrupt header byte is enough). Here each block
 * is read once, by index, and a block that is not a record batch is an error.
 */
function readTable(bytes: Uint8Array, file: string): Table {
  try {
    const reader = RecordBatchReader.from(bytes);
    if (!reader.isFile()) return new Table(reader.readAll());
    reader.open();
    const count = reader.numRecordBatches;
    // Every block holds at least an 8-byte message prefix: a larger count is a corrupt footer.
    if (!(count >= 0 && count <= bytes.length / 8)) throw new InputError(`Arrow footer declares ${count} record batches in a ${bytes.length}-byte file`, { file });
    const batches: RecordBatch[] = [];
    for (let i = 0; i < count; i++) {
      const batch = reader.readRecordBatch(i);
      if (!batch) throw new InputError(`corrupt Arrow data: footer block ${i} does not hold a record batch`, { file });
      batches.push(batch);
    }
    return new Table(batches);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`corrupt Arrow data: ${message(e)}`, { file });
  }
}

function describeField(field: Field): Omit<TableColumn, 'get'> {
  const type = field.type;
  return { name: field.name, typeName: String(type), kind: kindOf(type) };
}

function kindOf(type: DataType): ColumnKind {
  if (isNumeric(type)) return 'number';
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return 'text';
  if (DataType.isDictionary(type)) {
    if (DataType.isUtf8(type.dictionary) || DataType.isLargeUtf8(type.dictionary)) return 'text';
    return isNumeric(type.dictionary) ? 'number' : 'unsupported';
  }
  if (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const item = type.children[0]?.type;
    return item && isNumeric(item) ? 'numberList' : 'unsupported';
  }
  return 'unsupported';
}

function isNumeric(type: DataType): boolean {
  return DataType.isInt(type) || DataType.isFloat(type) || DataType.isBool(type);
}

/** A value of the column; list cells become plain arrays (Vector has no index access). */
function readValue(vector: Vector, row: number, kind: ColumnKind, file: string, field: string): unknown {
  try {
    const value: unknown = vector.get(row);
    if (kind === 'numberList' && value !== null && typeof value === 'object' && Symbol.iterator in value) {
      return Array.from(value as Iterable<unknown>);
    }
    return value;
  } catch (e) {
    throw new InputError(`corrupt Arrow data: ${message(e)}`, { file, record: row, field });
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
