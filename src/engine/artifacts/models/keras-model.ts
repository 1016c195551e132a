/**
 * Keras models: Keras 2 `.h5` (HDF5: the config in the root attribute `model_config`,
 * weights under `model_weights/<layer>/<weight name>`) and Keras 3 `.keras` (a zip of
 * `config.json`, `model.weights.h5` with weights at `layers/<layer>/vars/<i>`, and
 * `metadata.json`). The model is rebuilt with TensorFlow.js Layers from its config and
 * given the file's weights, layer by layer; nothing in the file is ever executed.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { unzipSync } from 'fflate';
import { InputError } from '../../errors';
import type { Classifier } from './classifier';
import { formatBytes, Hdf5Reader } from './hdf5-reader';
import { checkSupportedLayers, normaliseKerasConfig, trainingConfigOf } from './keras-config';
import { classifierFromLayersModel } from './tfjs-layers-model';

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

/** Reads a file whole, refusing anything larger than `max` bytes. */
function readCapped(file: string, max: number): Uint8Array {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    throw new InputError(`cannot read the model file: ${(e as Error).message}`, { file });
  }
  if (size > max) throw new InputError(`the file is ${formatBytes(size)}; Keras files over the ${formatBytes(max)} read cap are not loaded`, { file });
  return fs.readFileSync(file);
}

interface KerasZip {
  config: Record<string, unknown>;
  weights: Uint8Array;
  kerasVersion?: string;
}

/** The members of a .keras zip we use, each inflated up to its cap. */
function readKerasZip(file: string, wantWeights: boolean): KerasZip {
  const bytes = readCapped(file, MAX_KERAS_FILE_BYTES);
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b || bytes[2] !== 0x03 || bytes[3] !== 0x04) {
    throw new InputError('not a .keras file: expected a zip archive (magic "PK\\x03\\x04")', { file });
  }
  const caps: Record<string, number> = { 'config.json': MAX_KERAS_JSON_BYTES, 'metadata.json': MAX_KERAS_JSON_BYTES };
  if (wantWeights) caps['model.weights.h5'] = MAX_KERAS_FILE_BYTES;
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (member) => {
        const cap = caps[member.name];
        if (cap === undefined) return false;
        // The inflated size is bounded by the size the central directory declares.
        if (member.originalSize > cap) {
          throw new InputError(`zip member "${member.name}" declares ${formatBytes(member.originalSize)}, over its ${formatBytes(cap)} read cap`, { file, field: member.name });
        }
        return true;
      },
    });
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`the .keras zip archive is corrupt or truncated: ${(e as Error).message}`, { file });
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

function checkModelConfig(config: Record<string, unknown>, file: string, field: string): void {
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
  const reader = await Hdf5Reader.open(readCapped(file, MAX_KERAS_FILE_BYTES), file);
  try {
    return readH5Config(reader, file);
  } finally {
    reader.close();
  }
}

function readH5Config(reader: Hdf5Reader, file: string): KerasModelConfig {
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

/** The model rebuilt with TF.js Layers, holding the file's weights. */
export async function loadKerasLayersModel(file: string): Promise<{ model: tfl.LayersModel; format: KerasFormat; field: string }> {
  const format = kerasFormatOf(file);
  if (!format) throw new InputError('expected a Keras .h5 or .keras file', { file });
  let config: KerasModelConfig;
  let reader: Hdf5Reader;
  if (format === 'keras') {
    const zip = readKerasZip(file, true);
    checkModelConfig(zip.config, file, 'config.json');
    config = { file, format, field: 'config.json', config: zip.config };
    reader = await Hdf5Reader.open(zip.weights, `${file} (model.weights.h5)`);
  } else {
    reader = await Hdf5Reader.open(readCapped(file, MAX_KERAS_FILE_BYTES), file);
    try {
      config = readH5Config(reader, file);
    } catch (e) {
      reader.close();
      throw e;
    }
  }
  try {
    checkSupportedLayers(config.config, file, config.field);
    const model = await buildModel(config);
    try {
      if (format === 'keras') setKeras3Weights(model, reader);
      else setKeras2Weights(model, reader);
    } catch (e) {
      model.dispose();
      throw e;
    }
    return { model, format, field: config.field };
  } finally {
    reader.close();
  }
}

export async function loadKerasModel(file: string): Promise<Classifier> {
  const { model, format, field } = await loadKerasLayersModel(file);
  return classifierFromLayersModel(model, file, format, field);
}

async function buildModel(config: KerasModelConfig): Promise<tfl.LayersModel> {
  const topology = normaliseKerasConfig(config.config);
  try {
    return await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tfl.ModelAndWeightsConfig);
  } catch (e) {
    throw new InputError(`TensorFlow.js could not rebuild the model from its Keras config: ${(e as Error).message}`, {
      file: config.file, field: config.field,
    });
  }
}

/** Largest single weight array we read. */
const MAX_WEIGHT_BYTES = MAX_KERAS_FILE_BYTES;

/** Keras 2: per layer, the arrays its `weight_names` attribute lists, in that order. */
function setKeras2Weights(model: tfl.LayersModel, reader: Hdf5Reader): void {
  const root = reader.kind('model_weights') === 'group' ? 'model_weights' : reader.stringAttribute('/', 'layer_names') ? '/' : undefined;
  if (!root) throw new InputError('missing HDF5 group "model_weights": the file holds no weights', { file: reader.source, field: 'model_weights' });
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const group = root === '/' ? layer.name : `${root}/${layer.name}`;
    if (reader.kind(group) !== 'group') {
      throw new InputError(`missing HDF5 group "${group}" with the weights of layer "${layer.name}"`, { file: reader.source, field: group });
    }
    const names = reader.stringAttribute(group, 'weight_names');
    const list = names === undefined ? [] : Array.isArray(names) ? names : [names];
    const values = list.map((name) => reader.readFloat32(`${group}/${name}`, MAX_WEIGHT_BYTES));
    assign(layer, values, group, reader.source);
  }
}

/** Keras 3: per layer, `layers/<name>/vars/0..n-1` in the layer's variable order. */
function setKeras3Weights(model: tfl.LayersModel, reader: Hdf5Reader): void {
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const candidates = [`layers/${layer.name}/vars`, `_layer_checkpoint_dependencies/${layer.name}/vars`];
    const group = candidates.find((g) => reader.kind(g) === 'group');
    if (!group) {
      throw new InputError(`missing HDF5 group "${candidates[0]}" with the weights of layer "${layer.name}"`, { file: reader.source, field: candidates[0] });
    }
    const indices = reader.keys(group).filter((k) => /^\d+$/.test(k)).map(Number).sort((a, b) => a - b);
    const values = indices.map((i) => reader.readFloat32(`${group}/${i}`, MAX_WEIGHT_BYTES));
    assign(layer, values, group, reader.source);
  }
}

function assign(layer: tfl.LayersModel['layers'][number], values: { shape: number[]; values: Float32Array }[], group: string, file: string): void {
  const expected = layer.weights;
  if (values.length !== expected.length) {
    throw new InputError(
      `layer "${layer.name}" (${layer.getClassName()}) has ${expected.length} weight arrays but "${group}" holds ${values.length}`,
      { file, field: group },
    );
  }
  values.forEach((v, i) => {
    const shape = expected[i].shape;
    if (v.shape.length !== shape.length || v.shape.some((d, k) => d !== shape[k])) {
      throw new InputError(
        `weight ${i} of layer "${layer.name}" (${expected[i].name}) should have shape [${shape.join(', ')}], the file has [${v.shape.join(', ')}]`,
        { file, field: group },
      );
    }
  });
  // Variables keep the data; the temporary tensors are freed.
  tf.tidy(() => layer.setWeights(values.map((v) => tf.tensor(v.values, v.shape, 'float32'))));
}
