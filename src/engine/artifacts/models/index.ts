/** Chooses a model loader by file type. Later formats (Keras, ONNX) register here. */
import * as path from 'node:path';
import { InputError } from '../../errors';
import type { Classifier } from './classifier';
import { loadTfjsLayersModel } from './tfjs-layers-model';

export type { Classifier, PredictOptions } from './classifier';

export async function loadModel(file: string): Promise<Classifier> {
  const base = path.basename(file).toLowerCase();
  if (base.endsWith('.json')) return loadTfjsLayersModel(file);
  throw new InputError('unsupported model format: expected a TensorFlow.js Layers model.json', { file });
}
