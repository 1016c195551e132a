/** Chooses a model loader by file type. */
import * as path from 'node:path';
import { InputError } from '../../errors';
import type { Classifier } from './classifier';
import { loadKerasModel } from './keras-model';
import { kerasFormatOf } from './keras-model-config';
import { loadOnnxModel } from './onnx-model';
import { loadTfjsGraphModel } from './tfjs-graph-model';
import { loadTfjsLayersModel } from './tfjs-layers-model';
import { readModelJson } from './tfjs-layers-files';
import { PICKLE_EXTENSIONS } from './pickle-extensions';

export type { Classifier, PredictOptions } from './classifier';
export { readKerasModelConfig, type KerasModelConfig } from './keras-model-config';
export { UnsupportedLayerError, isUnsupportedLayerError } from './keras-config';


export async function loadModel(file: string): Promise<Classifier> {
  const base = path.basename(file).toLowerCase();
  const ext = path.extname(base);
  // Files that may hold pickles are scanned statically by the scanner, never loaded.
  if (PICKLE_EXTENSIONS.has(ext)) {
    throw new InputError(
      `${ext} files may contain pickles, which run code when loaded: they are scanned statically and never loaded; export the model to Keras (.keras/.h5), ONNX or TF.js to audit it`,
      { file },
    );
  }
  if (kerasFormatOf(base)) return loadKerasModel(file);
  if (ext === '.onnx') return loadOnnxModel(file);
  if (base.endsWith('.json')) {
    // Parsed once: its "format" chooses the loader, which reuses it.
    const json = readModelJson(file);
    return json.format === 'graph-model' ? loadTfjsGraphModel(file, json) : loadTfjsLayersModel(file, json);
  }
  throw new InputError('unsupported model format: expected a TF.js model.json, a Keras .h5 or .keras file, or an ONNX .onnx file', { file });
}
