/**
 * The model config of a Keras 2 `.h5` file: the JSON string in the HDF5 root's
 * "model_config" attribute, read with the model loaders' h5wasm reader. It imports no
 * TensorFlow, so the language server can use it to look for Lambda layers.
 */
import { InputError } from '../errors';
import { Hdf5Reader } from '../artifacts/models/hdf5-reader';
import { readStart } from './read-bytes';

/** As the Keras loader's cap: larger .h5 files are not read. */
export const MAX_KERAS_H5_BYTES = 512 * 1024 * 1024;

export async function readKerasH5ModelConfig(file: string): Promise<unknown> {
  const start = await readStart(file, MAX_KERAS_H5_BYTES);
  if (start.capped) throw new InputError(`the file has ${start.size} bytes; .h5 files over ${MAX_KERAS_H5_BYTES} bytes are not read`, { file });
  const reader = await Hdf5Reader.open(start.bytes, file);
  try {
    const text = reader.stringAttribute('/', 'model_config');
    if (typeof text !== 'string') throw new InputError('no "model_config" string attribute on the HDF5 root: not a whole Keras model (weights only?)', { file, field: 'model_config' });
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new InputError(`"model_config" is not valid JSON: ${(e as Error).message}`, { file, field: 'model_config' });
    }
  } finally {
    reader.close();
  }
}
