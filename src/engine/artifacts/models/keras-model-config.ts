/**
 * The model config of a Keras file, read without TensorFlow: Keras 2 `.h5` (the JSON in
 * the HDF5 root attribute `model_config`, through h5wasm) and Keras 3 `.keras` (the zip's
 * `config.json`). The loader (keras-model.ts) builds on it, and so does the language
 * server's scanner, which must not load TensorFlow.
 */
import { InputError } from '../../errors';
import { listZipMembers, readZipMember } from '../capped-inflate';
import { formatBytes, Hdf5Reader } from './hdf5-reader';
import { trainingConfigOf } from './keras-json';
import { readCapped } from './read-capped';

/** Largest Keras file (or weights member of a .keras zip) we read into memory. */
export const MAX_KERAS_FILE_BYTES = 512 * 1024 ** 2;
/** Largest config.json / metadata.json member of a .keras zip. */
const MAX_KERAS_JSON_BYTES = 64 * 1024 ** 2;

export type KerasFormat = 'keras-h5' | 'keras';

export interface KerasModelConfig {
  file: string;
  format: KerasFormat;
  /** Where the config sits in the file: the HDF5 root attribute or the zip member. */
  field: 'model_config' | 'config.json';
  /** The model config as Keras wrote it ({class_name, config, ...}). */
  config: Record<string, unknown>;
  /** Keras 2 `training_config` / Keras 3 `compile_config`, when saved. */
  trainingConfig?: Record<string, unknown>;
  kerasVersion?: string;
}

export function kerasFormatOf(file: string): KerasFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.h5') || lower.endsWith('.hdf5')) return 'keras-h5';
  if (lower.endsWith('.keras')) return 'keras';
  return undefined;
}

/** A Keras file's bytes, refusing anything over MAX_KERAS_FILE_BYTES. */
export function readKerasFile(file: string): Uint8Array {
  return readCapped(file, MAX_KERAS_FILE_BYTES, 'Keras');
}

interface KerasZip {
  config: Record<string, unknown>;
  weights: Uint8Array;
  kerasVersion?: string;
}

/** The members of a .keras zip we use, each inflated up to its cap. */
export function readKerasZip(file: string, wantWeights: boolean): KerasZip {
  const bytes = readKerasFile(file);
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b || bytes[2] !== 0x03 || bytes[3] !== 0x04) {
    throw new InputError('not a .keras file: expected a zip archive (magic "PK\\x03\\x04")', { file });
  }
  const caps: Record<string, number> = { 'config.json': MAX_KERAS_JSON_BYTES, 'metadata.json': MAX_KERAS_JSON_BYTES };
  if (wantWeights) caps['model.weights.h5'] = MAX_KERAS_FILE_BYTES;
  const members: Record<string, Uint8Array> = {};
  // Inflation is counted and stops at the size each member declares (capped-inflate.ts).
  for (const member of listZipMembers(bytes, file)) {
    const cap = caps[member.name];
    if (cap === undefined || members[member.name]) continue;
    if (member.declaredSize > cap) {
      throw new InputError(`zip member "${member.name}" declares ${formatBytes(member.declaredSize)}, over its ${formatBytes(cap)} read cap`, { file, field: member.name });
    }
    members[member.name] = readZipMember(bytes, member, cap, file);
  }
  if (!members['config.json']) throw new InputError('the .keras archive has no config.json (the model config)', { file, field: 'config.json' });
  if (wantWeights && !members['model.weights.h5']) {
    throw new InputError('the .keras archive has no model.weights.h5 (the weights)', { file, field: 'model.weights.h5' });
  }
  const config = parseJson(members['config.json'], file, 'config.json');
  const metadata = members['metadata.json'] ? parseJson(members['metadata.json'], file, 'metadata.json') : undefined;
  return {
    config,
    weights: members['model.weights.h5'] ?? new Uint8Array(0),
    kerasVersion: typeof metadata?.keras_version === 'string' ? metadata.keras_version : undefined,
  };
}

function parseJson(bytes: Uint8Array | string, file: string, field: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (e) {
    throw new InputError(`${field} is not valid JSON: ${(e as Error).message}`, { file, field });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(`${field} must be a JSON object`, { file, field });
  }
  return json as Record<string, unknown>;
}

export function checkModelConfig(config: Record<string, unknown>, file: string, field: string): void {
  if (typeof config.class_name !== 'string' || (typeof config.config !== 'object' || config.config === null)) {
    throw new InputError('expected a Keras model config with "class_name" and "config"', { file, field });
  }
}

/** The model config of a Keras file, as Keras wrote it, and where it came from. */
export async function readKerasModelConfig(file: string): Promise<KerasModelConfig> {
  const format = kerasFormatOf(file);
  if (format === 'keras') {
    const zip = readKerasZip(file, false);
    checkModelConfig(zip.config, file, 'config.json');
    return {
      file, format, field: 'config.json', config: zip.config,
      trainingConfig: trainingConfigOf(zip.config.compile_config), kerasVersion: zip.kerasVersion,
    };
  }
  return readKerasH5FileConfig(file);
}

/** The model config in an HDF5 file's root attribute, whatever the file's extension (the scanner goes by its bytes). */
export async function readKerasH5FileConfig(file: string): Promise<KerasModelConfig> {
  const reader = await Hdf5Reader.open(readKerasFile(file), file);
  try {
    return readH5Config(reader, file);
  } finally {
    reader.close();
  }
}

export function readH5Config(reader: Hdf5Reader, file: string): KerasModelConfig {
  const text = reader.stringAttribute('/', 'model_config');
  if (text === undefined) {
    const weightsOnly = reader.stringAttribute('/', 'layer_names') !== undefined;
    throw new InputError(
      weightsOnly
        ? 'this .h5 file holds weights only (model.save_weights): save the whole model with model.save() so its architecture is known'
        : 'no "model_config" attribute on the HDF5 root: not a Keras model file',
      { file, field: 'model_config' },
    );
  }
  if (typeof text !== 'string') throw new InputError('the "model_config" attribute must be one JSON string', { file, field: 'model_config' });
  const config = parseJson(text, file, 'model_config');
  checkModelConfig(config, file, 'model_config');
  const training = reader.stringAttribute('/', 'training_config');
  const version = reader.stringAttribute('/', 'keras_version');
  return {
    file, format: 'keras-h5', field: 'model_config', config,
    trainingConfig: typeof training === 'string' ? trainingConfigOf(safeParse(training)) : undefined,
    kerasVersion: typeof version === 'string' ? version : undefined,
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
