/**
 * Keras 2 `.h5` files keep their model config as a JSON attribute ("model_config") of the
 * HDF5 root. The reader is a parameter (tests pass their own); by default the model
 * loaders' TensorFlow-free readKerasH5FileConfig reads it with h5wasm.
 */
import type { Finding } from '../report/schema';
import { isInputError } from '../errors';
import { finding } from './finding-builders';
import { findLambdaLayers, lambdaFindings } from './keras-lambda';

/** Returns the parsed Keras model config of an .h5 file (readKerasModelConfig of src/engine/artifacts/models). */
export type KerasH5ConfigReader = (file: string) => Promise<unknown>;

export const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(head: Uint8Array): boolean {
  return HDF5_MAGIC.every((b, i) => head[i] === b);
}

export interface KerasH5Scan {
  findings: Finding[];
  lambdaLayers?: string[];
}

export async function scanKerasH5(file: string, readConfig: KerasH5ConfigReader): Promise<KerasH5Scan> {
  let config: unknown;
  try {
    config = await readConfig(file);
  } catch (e) {
    const message = isInputError(e) ? e.message : (e as Error).message;
    // Not a safety problem in itself (loading reports it); the scan only says what it could not check.
    return { findings: [finding(file, 'invalid-input', 'low', `Lambda layers not checked: cannot read the Keras model config: ${message}`)] };
  }
  const layers = findLambdaLayers(config);
  return { findings: lambdaFindings(file, layers), lambdaLayers: layers.map((l) => l.name) };
}
