/**
 * The static artifact scanner: what a model or data file is, from its bytes, and whether
 * loading it could run code. Pickles (alone, in zips, in NPY object arrays, in joblib and
 * legacy PyTorch streams) are disassembled, never unpickled; safetensors headers are
 * validated; Keras configs are searched for Lambda layers. The format is chosen by magic
 * bytes, the extension only deciding between formats the bytes allow: a `.bin` of raw
 * floats is not a pickle, and a pickle named `.dat` still is one.
 */
import * as path from 'node:path';
import { scanArchive, type ArchiveKind } from './archive-scan';
import { finding, importFindings, pickleBasedNote } from './finding-builders';
import { isHdf5, scanKerasH5, type KerasH5ConfigReader } from './keras-h5';
import { readKerasH5FileConfig } from '../artifacts/models/keras-model-config';
import { isNpy, readNpyHeader } from './npy-header';
import { MAX_PICKLE_SCAN_BYTES } from './pickle-scanner';
import { PICKLE_EXTENSIONS } from '../artifacts/models/pickle-extensions';
import { hasProtocolHeader, scanPickleStreams } from './pickle-streams';
import { readStart, type FileStart } from './read-bytes';
import { checkSafetensors, headerLength, MAX_SAFETENSORS_HEADER } from './safetensors';
import type { ScanResult } from './types';
import { isZip } from './zip-archive';

export type { ArtifactFormat, ScanResult, ScannedImport, SafetensorsSummary, SafetensorsTensor } from './types';
export type { KerasH5ConfigReader } from './keras-h5';
export { findLambdaLayers, lambdaFindings, type LambdaLayer } from './keras-lambda';
export { scanPickle, MAX_PICKLE_SCAN_BYTES, type PickleScan } from './pickle-scanner';
export { classifyImport, type ImportKind } from './import-policy';

/** Bytes read to recognise a file. */
const HEAD_BYTES = 64 * 1024;
/** Largest zip read whole (its directory is at the end); larger ones are reported unscanned. */
export const MAX_ZIP_FILE_BYTES = 2 ** 31 - 1;
/** Largest JSON read to tell a TF.js model.json from other JSON. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Opcodes a protocol 0/1 pickle can start with (MARK, GLOBAL, containers, constants). */
const PROTOCOL_0_STARTS = new Set([...'(c}])NILFSVUTXJKMGi'].map((c) => c.charCodeAt(0)));

export interface ScanOptions {
  /** Reads the model config of a Keras .h5 file; default: the loaders' h5wasm reader, which loads no TensorFlow. */
  readKerasH5Config?: KerasH5ConfigReader;
  /** Largest zip read whole (default MAX_ZIP_FILE_BYTES); a long-lived process may want less. */
  maxZipBytes?: number;
}

/** Scans one file. Throws InputError only when the file cannot be read; every problem with its content is a finding. */
export async function scanArtifact(file: string, options: ScanOptions = {}): Promise<ScanResult> {
  const ext = path.extname(file).toLowerCase();
  const head = await readStart(file, HEAD_BYTES);
  const result: ScanResult = { file, format: 'unknown', pickleBased: false, findings: [], imports: [], pickles: 0, bytesScanned: head.bytes.length };
  const bytes = head.bytes;

  if (isZip(bytes)) return scanZipFile(file, ext, head.size, result, options.maxZipBytes ?? MAX_ZIP_FILE_BYTES);
  if (isNpy(bytes)) return scanNpyFile(file, head, result);
  if (isHdf5(bytes)) {
    result.format = ext === '.h5' || ext === '.hdf5' || ext === '.keras' ? 'keras-h5' : 'unknown';
    if (result.format === 'keras-h5') {
      const keras = await scanKerasH5(file, options.readKerasH5Config ?? (async (f) => (await readKerasH5FileConfig(f)).config));
      result.findings.push(...keras.findings);
      if (keras.lambdaLayers) result.lambdaLayers = keras.lambdaLayers;
    }
    return result;
  }
  if (ext === '.safetensors' || looksLikeSafetensors(bytes, head.size)) return scanSafetensorsFile(file, bytes, head.size, result);
  if (hasProtocolHeader(bytes) || (PICKLE_EXTENSIONS.has(ext) && ext !== '.bin' && bytes.length > 0 && PROTOCOL_0_STARTS.has(bytes[0]))) {
    return scanPickleFile(file, ext, result);
  }
  if (ext === '.onnx') {
    // Protobuf (no magic bytes): neither pickle nor zip, as checked above, so no code inside; the ONNX loader validates it.
    result.format = 'onnx';
    return result;
  }
  if (ext === '.json' && head.size <= MAX_JSON_BYTES) {
    if (await isTfjsModel(file)) result.format = 'tfjs';
    return result;
  }
  // Names usually given to pickles: saying they are not is worth a note.
  if (PICKLE_EXTENSIONS.has(ext)) {
    result.findings.push(finding(file, 'unsafe-artifact', 'info', `not pickle-based: the content is neither a pickle nor a zip archive (it starts with ${hex(bytes.subarray(0, 8))}), so nothing in it runs when loaded.`));
  }
  return result;
}

async function scanZipFile(file: string, ext: string, size: number, result: ScanResult, maxBytes: number): Promise<ScanResult> {
  const kind: ArchiveKind = ext === '.keras' ? 'keras' : ext === '.npz' ? 'npz' : 'pickle-zip';
  result.format = kind === 'keras' ? 'keras' : kind === 'npz' ? 'npz' : 'zip';
  if (size > maxBytes) {
    result.findings.push(finding(file, 'invalid-input', 'medium', `zip archive of ${size} bytes is larger than the scanner reads (${maxBytes} bytes); it was not scanned. Do not load it unless you trust its source.`));
    result.pickleBased = kind === 'pickle-zip';
    return result;
  }
  const whole = await readStart(file, maxBytes);
  const archive = scanArchive(file, whole.bytes, kind);
  result.format = archive.format;
  result.pickleBased = archive.pickleBased;
  result.imports = archive.imports;
  result.pickles = archive.pickles;
  result.bytesScanned = archive.bytesScanned;
  if (archive.lambdaLayers) result.lambdaLayers = archive.lambdaLayers;
  result.findings.push(...importFindings(file, archive.imports), ...archive.findings);
  addPickleNote(result, archive.format === 'pytorch-zip' ? 'This PyTorch checkpoint' : 'This archive');
  if (result.format === 'zip' && !result.pickleBased && archive.findings.length === 0) {
    result.findings.push(finding(file, 'unsafe-artifact', 'info', 'not pickle-based: a zip archive without pickle (.pkl) members.'));
  }
  return result;
}

async function scanNpyFile(file: string, head: FileStart, result: ScanResult): Promise<ScanResult> {
  result.format = 'npy';
  // The header almost always fits in the head already read; a numeric array (most NPY
  // files) ends the scan there, without reading its data.
  let start = head;
  let header = readNpyHeader(start.bytes);
  if (!header.ok && start.capped) {
    start = await readStart(file, HEAD_BYTES + MAX_PICKLE_SCAN_BYTES);
    header = readNpyHeader(start.bytes);
  }
  if (!header.ok) {
    result.findings.push(finding(file, 'invalid-input', 'high', `NPY file ${header.message}`));
    return result;
  }
  if (!header.objectDtype) return result;
  if (start === head && head.capped) start = await readStart(file, HEAD_BYTES + MAX_PICKLE_SCAN_BYTES);
  // An object array's data is a pickle of the array (numpy.save with allow_pickle=True).
  result.pickleBased = true;
  result.bytesScanned = start.bytes.length;
  const scan = scanPickleStreams(file, start.bytes.subarray(header.dataStart), { base: header.dataStart, fileCapped: start.capped });
  result.pickles = scan.streams;
  result.imports = scan.imports;
  result.findings.push(...importFindings(file, scan.imports), ...scan.findings);
  addPickleNote(result, `This NPY array of Python objects (dtype ${header.descr})`);
  return result;
}

async function scanPickleFile(file: string, ext: string, result: ScanResult): Promise<ScanResult> {
  const start = await readStart(file, MAX_PICKLE_SCAN_BYTES);
  result.bytesScanned = start.bytes.length;
  result.pickleBased = true;
  const scan = scanPickleStreams(file, start.bytes, { fileCapped: start.capped });
  result.pickles = scan.streams;
  result.imports = scan.imports;
  const joblib = ext === '.joblib' || scan.imports.some((i) => /(^|\.)joblib\.numpy_pickle$/.test(i.module));
  result.format = scan.legacyTorch ? 'pytorch-legacy' : joblib ? 'joblib' : 'pickle';
  result.findings.push(...importFindings(file, scan.imports), ...scan.findings);
  addPickleNote(result, scan.legacyTorch ? 'This PyTorch checkpoint (legacy format)' : joblib ? 'This joblib file' : 'This pickle');
  return result;
}

async function scanSafetensorsFile(file: string, head: Uint8Array, size: number, result: ScanResult): Promise<ScanResult> {
  result.format = 'safetensors';
  const n = headerLength(head);
  let bytes = head;
  if (n !== undefined && n <= MAX_SAFETENSORS_HEADER && 8 + n > head.length && 8 + n <= size) {
    bytes = (await readStart(file, 8 + n)).bytes;
  }
  result.bytesScanned = bytes.length;
  const check = checkSafetensors(file, bytes, size);
  result.findings.push(...check.findings);
  if (check.summary) result.safetensors = check.summary;
  if (check.parameterCount !== undefined && check.findings.every((f) => f.severity !== 'high')) result.parameterCount = check.parameterCount;
  return result;
}

/** A header length that fits the file followed by '{': what safetensors files look like whatever their name. */
function looksLikeSafetensors(head: Uint8Array, size: number): boolean {
  const n = headerLength(head);
  return n !== undefined && n >= 2 && 8 + n <= size && head[8] === 0x7b;
}

/** Info note for a clean pickle-based file (nothing high or medium about its imports). */
function addPickleNote(result: ScanResult, what: string): void {
  if (!result.pickleBased) return;
  const flagged = result.findings.some((f) => f.rule === 'unsafe-artifact' && (f.severity === 'high' || f.severity === 'medium'));
  const broken = result.findings.some((f) => f.rule === 'invalid-input' && f.severity !== 'low');
  if (!flagged && !broken) result.findings.unshift(pickleBasedNote(result.file, what));
}

async function isTfjsModel(file: string): Promise<boolean> {
  const { bytes } = await readStart(file, MAX_JSON_BYTES);
  try {
    const json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Record<string, unknown>;
    return typeof json === 'object' && json !== null && 'modelTopology' in json && 'weightsManifest' in json;
  } catch {
    return false;
  }
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ') || '(nothing: the file is empty)';
}
