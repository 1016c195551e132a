/**
 * Which detected files the engine's static scanner should look at: every model file that
 * may hold pickles, serialised code or a safetensors header (PyTorch, pickle, Keras,
 * safetensors), and NPY/NPZ datasets, whose object arrays are pickles. TF.js model.json
 * and ONNX protobuf files hold no code. Pure, so tests need no editor.
 */
import type { DetectionSnapshot } from './detected';
import type { ModelFormat } from './classify';

const SCANNED_MODEL_FORMATS: ReadonlySet<ModelFormat> = new Set(['pytorch', 'pickle', 'keras', 'safetensors']);
const SCANNED_DATASET_FORMATS: ReadonlySet<string> = new Set(['npy', 'npz']);

export function scanTargets(snapshot: DetectionSnapshot): string[] {
  return [
    ...snapshot.models.filter((m) => SCANNED_MODEL_FORMATS.has(m.format)).map((m) => m.path),
    ...snapshot.datasets.filter((d) => SCANNED_DATASET_FORMATS.has(d.format)).map((d) => d.path),
  ];
}
