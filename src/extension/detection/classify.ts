/**
 * What a file is, from its name alone: an audit manifest, a model (by format) or a
 * dataset. Pure. The engine's own dataset-name rules are reused so the client detects
 * exactly the files the engine can read.
 */
import * as path from 'node:path';
import type { DatasetFormat } from '../../engine/artifacts/datasets/format';
import { formatFromName } from '../../engine/artifacts/datasets/format';
import { MANIFEST_FILE_NAME } from '../../engine/manifest/defaults';
import { describeDatasetName, type DatasetRole } from '../../engine/manifest/dataset-roles';

export type ModelFormat = 'tfjs' | 'keras' | 'onnx' | 'pytorch' | 'pickle' | 'safetensors';

export type Classified =
  | { kind: 'manifest' }
  /** `byContent`: the name only says it may be a pickle; its first bytes decide (see content-sniff.ts). */
  | { kind: 'model'; format: ModelFormat; byContent?: true }
  | { kind: 'dataset'; format: DatasetFormat; role?: DatasetRole };

const MODEL_EXTENSIONS: Record<string, ModelFormat> = {
  '.h5': 'keras',
  '.hdf5': 'keras',
  '.keras': 'keras',
  '.onnx': 'onnx',
  '.pt': 'pytorch',
  '.pth': 'pytorch',
  '.ckpt': 'pytorch',
  '.safetensors': 'safetensors',
  '.pkl': 'pickle',
  '.pickle': 'pickle',
  '.joblib': 'pickle',
};

/**
 * Names torch.load, joblib.load and pickle.load take as readily as .pt or .pkl, but that
 * also hold raw data: a model only when the content says so.
 */
const SNIFFED_EXTENSIONS = ['.bin', '.dat', '.sav', '.p', '.model'];
/** Extension-less files cannot all be listed; these are the names checkpoints are commonly saved under. */
const SNIFFED_NAMES = ['model', 'checkpoint', 'weights', 'state_dict', 'pytorch_model'];

/**
 * One glob covering every name classify() accepts, for findFiles and the file watcher.
 * model.json is a candidate only: its content decides (see model-json.ts).
 */
export const DETECTION_GLOB = `**/{${[
  MANIFEST_FILE_NAME,
  'model.json',
  ...Object.keys(MODEL_EXTENSIONS).map((e) => `*${e}`),
  ...SNIFFED_EXTENSIONS.map((e) => `*${e}`),
  ...SNIFFED_NAMES,
  ...['csv', 'tsv', 'tab', 'jsonl', 'ndjson', 'npy', 'npz', 'idx'].flatMap((e) => [`*.${e}`, `*.${e}.gz`]),
  '*-ubyte',
  '*-ubyte.gz',
].join(',')}}`;

export function classify(file: string): Classified | undefined {
  const name = path.basename(file);
  if (name === MANIFEST_FILE_NAME) return { kind: 'manifest' };
  if (name === 'model.json') return { kind: 'model', format: 'tfjs' };
  const format = MODEL_EXTENSIONS[path.extname(name).toLowerCase()];
  if (format) return { kind: 'model', format };
  if (SNIFFED_EXTENSIONS.includes(path.extname(name).toLowerCase()) || SNIFFED_NAMES.includes(name)) return { kind: 'model', format: 'pickle', byContent: true };
  const datasetFormat = formatFromName(file);
  if (!datasetFormat) return undefined;
  const { role } = describeDatasetName(file);
  return role ? { kind: 'dataset', format: datasetFormat, role } : { kind: 'dataset', format: datasetFormat };
}

/**
 * Pickle-based formats run code when loaded: the engine never loads them, and the UI
 * marks them (PyTorch's .pt/.pth are zip files around a pickle).
 */
export function isUnsafeFormat(format: ModelFormat): boolean {
  return format === 'pickle' || format === 'pytorch';
}

/**
 * The formats the engine loads: TF.js, Keras .h5/.keras (rebuilt from the config) and ONNX
 * (black box, through the runtime the .vsix carries). PyTorch, pickles and safetensors are
 * detected, scanned and listed, never loaded.
 */
const AUDITABLE_FORMATS: ReadonlySet<ModelFormat> = new Set(['tfjs', 'keras', 'onnx']);

export function isAuditableFormat(format: ModelFormat): boolean {
  return AUDITABLE_FORMATS.has(format);
}

export const FORMAT_LABELS: Record<ModelFormat, string> = {
  tfjs: 'TensorFlow.js',
  keras: 'Keras',
  onnx: 'ONNX',
  pytorch: 'PyTorch (pickle-based)',
  pickle: 'pickle',
  safetensors: 'safetensors',
};
