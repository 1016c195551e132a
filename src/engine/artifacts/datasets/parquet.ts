import { parquetMetadata, parquetReadObjects, parquetSchema, type FileMetaData, type SchemaTree } from 'hyparquet';
import { InputError } from '../../errors';
import type { LoadedRecords } from './loaded-records';
import { formatBytes } from './read-file';
import { planColumns, tableToRecords, type ColumnKind, type TableColumn, type TableOptions } from './table-columns';

/** Largest row count read from a table (Parquet or Arrow); checked against the footer first. */
export const MAX_TABLE_ROWS = 10_000_000;

const NUMERIC_TYPES = new Set(['BOOLEAN', 'INT32', 'INT64', 'FLOAT', 'DOUBLE']);
/** Annotations that make a numeric physical type a date, time or decimal: not a feature. */
const NON_NUMERIC_CONVERTED = new Set(['DATE', 'TIME_MILLIS', 'TIME_MICROS', 'TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS', 'DECIMAL', 'INTERVAL']);
const NON_NUMERIC_LOGICAL = new Set(['DATE', 'TIME', 'TIMESTAMP', 'DECIMAL', 'INTERVAL']);

/**
 * A Parquet file (read whole, with hyparquet: uncompressed, Snappy; other codecs are refused
 * with hyparquet's message). Columns are mapped as for CSV, see tableToRecords; LIST columns
 * of numbers become feature vectors. Compressed files are checked against the feature cap
 * on their declared uncompressed size before any page is inflated.
 */
export async function readParquet(bytes: Uint8Array, file: string, opts: TableOptions): Promise<LoadedRecords> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  let schema: SchemaTree;
  try {
    metadata = parquetMetadata(buffer);
    schema = parquetSchema(metadata);
  } catch (e) {
    throw new InputError(`not a readable Parquet file: ${message(e)}`, { file });
  }
  const rowCount = Number(metadata.num_rows);
  if (!(rowCount >= 0) || rowCount > MAX_TABLE_ROWS) {
    throw new InputError(`Parquet footer declares ${metadata.num_rows} rows; at most ${MAX_TABLE_ROWS} are read`, { file });
  }
  let declared = 0;
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) declared += Number(chunk.meta_data?.total_uncompressed_size ?? 0);
  }
  if (!(declared < opts.maxFeatureBytes)) {
    throw new InputError(`Parquet column data declares ${formatBytes(declared)} uncompressed; at most ${formatBytes(opts.maxFeatureBytes)} is read`, { file });
  }

  checkColumnChunks(metadata, schema, file, bytes.length);
  const described = schema.children.map(describeColumn);
  planColumns(described, file, opts); // refuses unusable columns by name before decoding anything

  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: buffer, metadata, utf8: true });
  } catch (e) {
    throw new InputError(`corrupt Parquet data: ${message(e)}`, { file });
  }
  if (rows.length !== rowCount) {
    throw new InputError(`corrupt Parquet data: the footer declares ${rowCount} rows but the column chunks hold ${rows.length}`, { file });
  }
  const columns: TableColumn[] = described.map((d) => ({ ...d, get: (r: number) => rows[r]?.[d.name] }));
  return tableToRecords(columns, rowCount, file, opts);
}

/**
 * Every column chunk must belong to a schema leaf, one chunk per leaf and row group, with
 * its bytes inside the file. hyparquet reads chunks in parallel and only awaits those its
 * assembly step matches to a schema column: a stray chunk's failure would surface later
 * as an unhandled rejection, which ends the process.
 */
function checkColumnChunks(metadata: FileMetaData, schema: SchemaTree, file: string, fileLength: number): void {
  // Column data sits between the leading "PAR1" and the footer.
  const dataEnd = fileLength - 8 - metadata.metadata_length;
  const leaves = new Set<string>();
  const collect = (node: SchemaTree, depth: number): void => {
    if (depth > 32) throw new InputError('corrupt Parquet schema: nested more than 32 levels deep', { file });
    if (node.children.length === 0) leaves.add(node.path.join('.'));
    for (const child of node.children) collect(child, depth + 1);
  };
  for (const child of schema.children) collect(child, 0);
  metadata.row_groups.forEach((group, g) => {
    const seen = new Set<string>();
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      const name = meta?.path_in_schema.join('.') ?? '?';
      if (!meta || !leaves.has(name) || seen.has(name)) {
        throw new InputError(`corrupt Parquet metadata: row group ${g} has a column chunk "${name}" that ${seen.has(name) ? 'appears twice' : 'matches no schema column'}`, { file });
      }
      seen.add(name);
      const start = Number(meta.dictionary_page_offset || meta.data_page_offset); // as hyparquet reads it
      const end = start + Number(meta.total_compressed_size);
      if (!(start >= 4 && end <= dataEnd && end >= start)) {
        throw new InputError(`corrupt Parquet metadata: column chunk "${name}" of row group ${g} lies outside the file`, { file, field: name });
      }
    }
    if (seen.size !== leaves.size) {
      const missing = [...leaves].find((l) => !seen.has(l));
      throw new InputError(`corrupt Parquet metadata: row group ${g} has no data for column "${missing}"`, { file, field: missing });
    }
  });
}

function describeColumn(node: SchemaTree): Omit<TableColumn, 'get'> {
  const { element } = node;
  const name = element.name;
  if (node.children.length === 0) {
    const typeName = leafTypeName(node);
    if (element.repetition_type === 'REPEATED') {
      return { name, typeName: `repeated ${typeName}`, kind: isNumericLeaf(node) ? 'numberList' : 'unsupported' };
    }
    return { name, typeName, kind: leafKind(node) };
  }
  const isList = element.converted_type === 'LIST' || element.logical_type?.type === 'LIST';
  if (isList && node.children.length === 1) {
    // Three-level LIST (group > repeated group "list" > "element") or the legacy two-level form.
    const repeated = node.children[0]!;
    const item = repeated.children.length === 0 ? repeated : repeated.children.length === 1 ? repeated.children[0]! : undefined;
    if (item && item.children.length === 0 && repeated.element.repetition_type === 'REPEATED') {
      const kind: ColumnKind = isNumericLeaf(item) ? 'numberList' : 'unsupported';
      return { name, typeName: `LIST<${leafTypeName(item)}>`, kind };
    }
    return { name, typeName: 'LIST of nested values', kind: 'unsupported' };
  }
  const annotation = element.logical_type?.type ?? element.converted_type;
  return { name, typeName: annotation ? `${annotation} group` : 'group (struct)', kind: 'unsupported' };
}

function leafKind(node: SchemaTree): ColumnKind {
  if (isNumericLeaf(node)) return 'number';
  const { element } = node;
  const isText = element.type === 'BYTE_ARRAY'
    && (element.converted_type === 'UTF8' || element.converted_type === 'ENUM' || element.logical_type?.type === 'STRING' || element.logical_type?.type === 'ENUM');
  return isText ? 'text' : 'unsupported';
}

function isNumericLeaf(node: SchemaTree): boolean {
  const { element } = node;
  if (element.logical_type?.type === 'FLOAT16') return true;
  if (!element.type || !NUMERIC_TYPES.has(element.type)) return false;
  if (element.converted_type && NON_NUMERIC_CONVERTED.has(element.converted_type)) return false;
  return !(element.logical_type && NON_NUMERIC_LOGICAL.has(element.logical_type.type));
}

function leafTypeName(node: SchemaTree): string {
  const { element } = node;
  const annotation: string | undefined = element.logical_type?.type ?? element.converted_type;
  return annotation && annotation !== element.type ? `${element.type ?? '?'} (${annotation})` : (element.type ?? '?');
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
