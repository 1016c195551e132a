/**
 * Keras models: Keras 2 `.h5` (HDF5: the config in the root attribute `model_config`,
 * weights under `model_weights/<layer>/<weight name>`) and Keras 3 `.keras` (a zip of
 * `config.json`, `model.weights.h5` with weights at `layers/<layer>/vars/<i>`, and
 * `metadata.json`). The model is rebuilt with TensorFlow.js Layers from its config and
 * given the file's weights, layer by layer; nothing in the file is ever executed.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InputError } from '../../errors';
import type { Classifier } from './classifier';
import { Hdf5Reader } from './hdf5-reader';
import { checkSupportedLayers, normaliseKerasConfig } from './keras-config';
import { checkModelConfig, kerasFormatOf, MAX_KERAS_FILE_BYTES, readH5Config, readKerasFile, readKerasZip, type KerasFormat, type KerasModelConfig } from './keras-model-config';
import { classifierFromLayersModel } from './tfjs-layers-model';

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
    reader = await Hdf5Reader.open(readKerasFile(file), file);
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
