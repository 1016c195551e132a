/** Chooses a model loader by file type. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../errors';
import type { Classifier } from './classifier';
import { kerasFormatOf, loadKerasModel } from './keras-model';
import { loadOnnxModel } from './onnx-model';
import { loadTfjsGraphModel } from './tfjs-graph-model';
import { loadTfjsLayersModel } from './tfjs-layers-model';
import { PICKLE_EXTENSIONS } from '../../scan/pickle-extensions';

export type { Classifier, PredictOptions } from './classifier';
export { readKerasModelConfig, type KerasModelConfig } from './keras-model';
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
  if (base.endsWith('.json')) return isGraphModel(file) ? loadTfjsGraphModel(file) : loadTfjsLayersModel(file);
  throw new InputError('unsupported model format: expected a TF.js model.json, a Keras .h5 or .keras file, or an ONNX .onnx file', { file });
}

/** Whether model.json says `"format": "graph-model"` (read from its first 64 KiB). */
function isGraphModel(file: string): boolean {
  let head: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(64 * 1024);
      head = buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false; // The layers loader reports the unreadable file.
  }
  return /"format"\s*:\s*"graph-model"/.test(head);
}
