/** Recognises a TensorFlow.js model.json (layers or graph model) without loading its weights. */
import { readFileSync, statSync } from 'node:fs';

/** model.json with inline topology can be several MB; anything far larger is not one. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

export function isTfjsModelJson(file: string): boolean {
  try {
    if (statSync(file).size > MAX_MODEL_JSON_BYTES) return false;
    const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof json === 'object' && json !== null && 'modelTopology' in json && 'weightsManifest' in json;
  } catch {
    return false;
  }
}
