/**
 * Inspects any artifact a user may point the tool at: scans it first (bytes only), then,
 * only when the scan found no pickle, hands models and datasets to their loaders to read
 * input shape, classes, parameters and record counts. Loaders are imported on demand so
 * inspecting a pickle or safetensors file never starts TensorFlow.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError, isInputError } from '../errors';
import { formatFromName } from '../artifacts/datasets/format';
import type { Finding } from '../report/schema';
import { scanArtifact, type ScanResult } from '../scan';
import type { InspectResult } from './types';
import { finding } from '../scan/finding-builders';

/** Formats a model loader reads (after the scan). */
const MODEL_FORMATS = new Set(['keras', 'keras-h5', 'onnx', 'tfjs']);

export async function inspectArtifact(target: string): Promise<InspectResult> {
  const file = path.resolve(target);
  let isDirectory: boolean;
  try {
    isDirectory = (await fs.stat(file)).isDirectory();
  } catch (e) {
    throw new InputError(`cannot read the file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`, { file });
  }
  if (isDirectory) return inspectFolder(file);

  const scan = await scanArtifact(file);
  const result = fromScan(scan);
  // Anything holding a pickle is never loaded, whatever it is called.
  if (scan.pickleBased) return result;
  if (MODEL_FORMATS.has(scan.format)) return addModelInfo(result);
  const datasetFormat = formatFromName(file);
  if (datasetFormat && scan.format !== 'safetensors') return addDatasetInfo(result, datasetFormat);
  return result;
}

function fromScan(scan: ScanResult): InspectResult {
  const result: InspectResult = {
    file: scan.file,
    kind: kindOf(scan),
    format: scan.format,
    pickleBased: scan.pickleBased,
    loaded: false,
    findings: [...scan.findings],
  };
  if (scan.parameterCount !== undefined) result.parameterCount = scan.parameterCount;
  if (scan.safetensors) result.tensors = scan.safetensors.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
  if (scan.lambdaLayers) result.lambdaLayers = scan.lambdaLayers;
  return result;
}

function kindOf(scan: ScanResult): InspectResult['kind'] {
  if (MODEL_FORMATS.has(scan.format) || scan.format === 'pytorch-zip' || scan.format === 'pytorch-legacy') return 'model';
  if (scan.format === 'safetensors') return 'weights';
  if (scan.format === 'npy' || scan.format === 'npz') return 'dataset';
  if (scan.pickleBased) return 'pickle';
  return formatFromName(scan.file) ? 'dataset' : 'unknown';
}

async function addModelInfo(result: InspectResult): Promise<InspectResult> {
  const [{ loadModel }, { initBackend }] = await Promise.all([import('../artifacts/models'), import('../backend')]);
  try {
    // TF.js and Keras models run on a TensorFlow.js backend; ONNX ignores it.
    await initBackend('auto');
    const model = await loadModel(result.file);
    try {
      result.loaded = true;
      result.format = model.format || result.format;
      result.inputShape = model.inputShape;
      result.numClasses = model.numClasses;
      result.parameterCount = model.parameterCount;
    } finally {
      model.dispose();
    }
  } catch (e) {
    if (!isInputError(e)) throw e;
    result.findings.push(loadProblem(result.file, e));
  }
  return result;
}

async function addDatasetInfo(result: InspectResult, format: string): Promise<InspectResult> {
  const { loadDataset } = await import('../artifacts/datasets');
  try {
    const ds = await loadDataset({ path: result.file });
    result.kind = 'dataset';
    result.loaded = true;
    result.format = format;
    result.records = ds.count;
    result.featureShape = ds.featureShape;
    result.classCounts = countClasses(ds.labels);
  } catch (e) {
    if (!isInputError(e)) throw e;
    // A features-only NPY (labels in another file) is still an array with a shape worth reporting.
    if (format === 'npy' && await addArrayShape(result)) return result;
    result.findings.push(loadProblem(result.file, e));
  }
  return result;
}

async function addArrayShape(result: InspectResult): Promise<boolean> {
  const [{ parseNpy }, { readDataFile }] = await Promise.all([import('../artifacts/datasets/npy'), import('../artifacts/datasets/read-file')]);
  try {
    const array = parseNpy(await readDataFile(result.file), { file: result.file });
    if (array.shape.length === 0) return false;
    result.kind = 'dataset';
    result.format = 'npy';
    result.loaded = true;
    result.records = array.shape[0];
    result.featureShape = array.shape.slice(1);
    return true;
  } catch (e) {
    if (isInputError(e)) return false;
    throw e;
  }
}

async function inspectFolder(folder: string): Promise<InspectResult> {
  // A TF.js model folder: inspect its model.json.
  const modelJson = path.join(folder, 'model.json');
  if (await fs.stat(modelJson).then((s) => s.isFile(), () => false)) return inspectArtifact(modelJson);
  const result: InspectResult = { file: folder, kind: 'dataset', format: 'images', pickleBased: false, loaded: false, findings: [] };
  // Otherwise only an image folder (one sub-folder per class) is an artifact; anything else is the loader's InputError.
  return addDatasetInfo(result, 'images');
}

function countClasses(labels: Int32Array): number[] {
  let max = -1;
  for (const l of labels) if (l > max) max = l;
  const counts = new Array<number>(max + 1).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

function loadProblem(file: string, e: InputError): Finding {
  return finding(file, 'invalid-input', 'high', e.message);
}
