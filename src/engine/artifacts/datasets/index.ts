/**
 * Dataset loading for audits: one reader per format (CSV/TSV, JSON Lines, NPY, NPZ, IDX,
 * Parquet, Arrow IPC, and folders of PNG/JPEG images with one sub-folder per class),
 * a separate labels file when the features file has none, preprocessing, and the checks
 * every format shares. Every problem with a user's file is an InputError that says where.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Dataset, DatasetSpec } from '../dataset';
import { InputError } from '../../errors';
import { readColumnar } from './columnar-isolation';
import { parseDelimited } from './csv';
import { inferFormat, type DatasetFormat } from './format';
import { parseIdx } from './idx';
import { loadImageFolder } from './image-folder';
import { parseJsonl } from './jsonl';
import { loadLabelsFile } from './label-file';
import type { LoadedRecords } from './loaded-records';
import { ndarrayToRecords } from './ndarray';
import { parseNpy } from './npy';
import { readNpz } from './npz';
import { MAX_DATASET_BYTES, readDataFile } from './read-file';
import { applyPreprocess, channelAxisUnknown, standardisationOf } from './preprocess';

export { checkDatasetForModel, classCounts, type ModelInputs } from './model-check';
export { MAX_DATASET_BYTES } from './read-file';

/**
 * Loads the dataset a spec describes; relative paths resolve against `baseDir` (default:
 * the working directory), and the returned `source` is absolute. Class names given as
 * strings (CSV, JSONL, label lines) become indices in sorted order; see LabelCollector.
 */
export async function loadDataset(spec: DatasetSpec, baseDir?: string): Promise<Dataset> {
  const file = path.resolve(baseDir ?? process.cwd(), spec.path);
  const labelsFile = spec.labelsPath !== undefined ? path.resolve(baseDir ?? process.cwd(), spec.labelsPath) : undefined;
  const format = spec.format ?? ((await isDirectory(file)) ? 'images' : inferFormat(file));
  const records = format === 'images' ? await readImageFolder(file, spec) : await readRecords(format, await readDataFile(file), file, spec);

  let labels = records.labels;
  // An explicit labels file wins; readers do not look for labels when one is given.
  if (labelsFile !== undefined) labels = await loadLabelsFile(labelsFile);
  if (!labels) {
    throw new InputError(`${format.toUpperCase()} file holds features only; set labelsPath to the file with one label per record`, { file });
  }
  if (records.count === 0) throw new InputError('dataset has no records', { file });
  if (labels.length !== records.count) {
    const message = labelsFile !== undefined
      ? `has ${labels.length} labels but ${file} has ${records.count} records; expected one label per record`
      : `has ${records.count} records of features but ${labels.length} labels; expected one label per record`;
    throw new InputError(message, { file: labelsFile ?? file });
  }
  const standardisation = await standardisationOf(spec);
  // Per-channel statistics on flat records with no layout wait for the audit to detect the layout.
  const deferred = standardisation && channelAxisUnknown(standardisation, records.featureShape, spec.layout);
  applyPreprocess(records.features, records.featureShape, { scale: spec.scale, offset: spec.offset, layout: spec.layout, standardisation: deferred ? undefined : standardisation }, file);
  const dataset: Dataset = { source: file, count: records.count, featureShape: records.featureShape, features: records.features, labels };
  if (deferred) dataset.channelStats = standardisation;
  // Names only describe the file's own labels.
  if (records.labelNames && labelsFile === undefined) dataset.labelNames = records.labelNames;
  return dataset;
}

async function isDirectory(file: string): Promise<boolean> {
  return fs.stat(file).then((s) => s.isDirectory(), () => false);
}

async function readImageFolder(dir: string, spec: DatasetSpec): Promise<LoadedRecords> {
  if (!(await isDirectory(dir))) {
    throw new InputError('format "images" needs a folder with one sub-folder per class, found a file or nothing', { file: dir });
  }
  // Like NPY, an image folder ignores "label" (an audit-level label reaches every dataset).
  const records = await loadImageFolder(dir);
  return spec.labelsPath !== undefined ? { ...records, labels: undefined, labelNames: undefined } : records;
}

/** The records of one file's bytes (already gunzipped) in a format; exported for the property tests. */
export async function readRecords(format: Exclude<DatasetFormat, 'images'>, bytes: Buffer, file: string, spec: DatasetSpec): Promise<LoadedRecords> {
  const labelsFromFile = spec.labelsPath !== undefined;
  const table = { label: spec.label, labelsFromFile, maxFeatureBytes: MAX_DATASET_BYTES };
  switch (format) {
    case 'csv':
    case 'tsv':
      return parseDelimited(bytes, file, { delimiter: format === 'tsv' ? '\t' : ',', label: spec.label, labelsFromFile });
    case 'jsonl':
      return parseJsonl(bytes, file, { label: spec.label, labelsFromFile });
    case 'npy':
      return ndarrayToRecords(parseNpy(bytes, { file }), { file });
    case 'npz':
      return readNpz(bytes, file, { featuresKey: spec.featuresKey, labelsKey: spec.labelsKey, needLabels: !labelsFromFile });
    case 'idx':
      return ndarrayToRecords(parseIdx(bytes, file), { file });
    case 'parquet':
    case 'arrow':
      return readColumnar(format, bytes, file, table);
  }
}
