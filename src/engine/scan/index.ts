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
import { hasProtocolHeader, scanPickleStreams, type StreamsScan } from './pickle-streams';
import { canInflate, compressionOf, inflateFile, type Compression } from './compressed';
import { mayHoldPickle, SNIFF_BYTES } from './sniff';
import { isTar, listTar } from './tar-archive';
import { readStart, type FileStart } from './read-bytes';
import { checkSafetensors, headerLength, MAX_SAFETENSORS_HEADER } from './safetensors';
import type { ScanResult } from './types';
import { isZip } from './zip-archive';

export type { ArtifactFormat, ScanResult, ScannedImport, SafetensorsSummary, SafetensorsTensor } from './types';
export type { KerasH5ConfigReader } from './keras-h5';
export { findLambdaLayers, lambdaFindings, type LambdaLayer } from './keras-lambda';
export { scanPickle, MAX_PICKLE_SCAN_BYTES, type PickleScan } from './pickle-scanner';
export { classifyImport, type ImportKind } from './import-policy';
export { mayHoldPickle, SNIFF_BYTES } from './sniff';

/** Bytes read to recognise a file. */
const HEAD_BYTES = 64 * 1024;
/** Largest zip read whole (its directory is at the end); larger ones are reported unscanned. */
export const MAX_ZIP_FILE_BYTES = 2 ** 31 - 1;
/** Largest JSON read to tell a TF.js model.json from other JSON. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/**
 * Names under which a loader may unpickle a file (torch.load, joblib.load, pickle.load take
 * any name): their content is sniffed for pickles, compression and tar whatever it starts
 * with. '' is a file without an extension. Text datasets inside compression (x.csv.gz)
 * are left to the dataset loaders.
 */
export const SNIFFED_EXTENSIONS: ReadonlySet<string> = new Set([
  ...PICKLE_EXTENSIONS, '.pkl', '.pickle', '.dat', '.data', '.model', '.sav', '.p', '.joblib', '',
  '.z', '.gz', '.gzip', '.zlib', '.bz2', '.xz', '.lzma', '.lz4', '.tar',
  // numpy.load(allow_pickle=True) unpickles a file that is neither NPY nor zip.
  '.npy', '.npz',
]);
/** A text dataset compressed (x.csv.gz): the dataset loaders read it; only these compression names are exempt. */
const TEXT_INSIDE = /\.(csv|tsv|jsonl?|txt|md|html?)\.(gz|gzip|z|zlib|bz2|xz|lzma|lz4)$/i;
/**
 * Extensions whose content must be a pickle: a first stream the scanner cannot finish is an
 * error. (.sav and .p are also SPSS data and source files: sniffed only.)
 */
const PICKLE_ONLY_EXTENSIONS: ReadonlySet<string> = new Set(['.pkl', '.pickle', '.joblib', '.pt', '.pth', '.ckpt']);

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
  const sniffed = SNIFFED_EXTENSIONS.has(ext) && !TEXT_INSIDE.test(path.basename(file));
  if (sniffed) {
    // joblib.load and torch.load read these as compressed or tar; pickle.load reads the same bytes raw: both are scanned.
    const compression = compressionOf(bytes);
    if (compression) {
      const compressed = await scanCompressedFile(file, ext, compression, result);
      if (compressed) return withRawReading(compressed, await scanPickleFile(file, ext, head, emptyResult(file, head), 'sniff'));
    }
    if (isTar(bytes)) return withRawReading(await scanTarFile(file, result), await scanPickleFile(file, ext, head, emptyResult(file, head), 'sniff'));
  }
  const safetensors = ext === '.safetensors' || looksLikeSafetensors(bytes, head.size);
  if (hasProtocolHeader(bytes) || (PICKLE_ONLY_EXTENSIONS.has(ext) && bytes.length > 0)) return scanPickleFile(file, ext, head, result, 'pickle');
  // Anything a loader could unpickle, and a "safetensors" file that is really a pickle: sniffed.
  if (sniffed || safetensors) {
    const sniff = await scanPickleFile(file, ext, head, emptyResult(file, head), 'sniff');
    if (sniff.pickleBased) return sniff;
  }
  if (safetensors) return scanSafetensorsFile(file, bytes, head.size, result);
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

function emptyResult(file: string, head: FileStart): ScanResult {
  return { file, format: 'unknown', pickleBased: false, findings: [], imports: [], pickles: 0, bytesScanned: head.bytes.length };
}

/** Adds what the bytes hold read as a plain pickle (pickle.load on the file) to a compressed or tar reading. */
function withRawReading(result: ScanResult, raw: ScanResult): ScanResult {
  if (!raw.pickleBased) return result;
  result.pickleBased = true;
  result.pickles += raw.pickles;
  result.imports.push(...raw.imports);
  const problems = raw.findings.filter((f) => f.severity !== 'info');
  result.findings.push(...problems.map((f) => ({ ...f, message: `read as a plain pickle (as pickle.load would): ${f.message}` })));
  // The clean-pickle note no longer holds once the raw reading found something.
  if (problems.some((f) => f.severity === 'high' || f.severity === 'medium')) result.findings = result.findings.filter((f) => !/never loads it; a static scan/.test(f.message));
  return result;
}

async function scanZipFile(file: string, ext: string, size: number, result: ScanResult, maxBytes: number): Promise<ScanResult> {
  const kind: ArchiveKind = ext === '.keras' ? 'keras' : ext === '.npz' ? 'npz' : 'pickle-zip';
  result.format = kind === 'keras' ? 'keras' : kind === 'npz' ? 'npz' : 'zip';
  if (size > maxBytes) {
    // A limit reached is not a pass: a pickle-bearing zip too large to read could not be verified.
    result.findings.push(kind === 'keras'
      ? finding(file, 'invalid-input', 'medium', `zip archive of ${size} bytes is larger than the scanner reads (${maxBytes} bytes); it was not scanned.`)
      : finding(file, 'unverified-artifact', 'high', `zip archive of ${size} bytes is larger than the scanner reads (${maxBytes} bytes); it was not scanned and could not be verified. Do not load it unless you trust its source.`));
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
    result.findings.push(finding(file, header.unverified ? 'unverified-artifact' : 'invalid-input', 'high', `NPY file ${header.message}`));
    return result;
  }
  if (!header.objectDtype) return result;
  if (start === head && head.capped) start = await readStart(file, HEAD_BYTES + MAX_PICKLE_SCAN_BYTES);
  // An object array's data is a pickle of the array (numpy.save with allow_pickle=True).
  result.pickleBased = true;
  result.bytesScanned = start.bytes.length;
  const scan = scanPickleStreams(file, start.bytes.subarray(header.dataStart), { base: header.dataStart, fileCapped: start.capped, mode: 'pickle' });
  result.pickles = scan.streams;
  result.imports = scan.imports;
  result.findings.push(...importFindings(file, scan.imports), ...scan.findings);
  addPickleNote(result, `This NPY array of Python objects (dtype ${header.descr})`);
  return result;
}

/**
 * A pickle file, or ('sniff') a file that may be one: the head already read is scanned
 * first, and the file is read up to the scan cap only when the head is not enough.
 */
async function scanPickleFile(file: string, ext: string, head: FileStart, result: ScanResult, mode: 'pickle' | 'sniff'): Promise<ScanResult> {
  let start = head;
  let scan = scanPickleStreams(file, start.bytes, { fileCapped: start.capped, mode });
  // Only a scan the head's end cut short needs the rest (a legacy torch file's five streams fit in it).
  if (start.capped && scan.findings.some((f) => f.rule === 'unverified-artifact')) {
    start = await readStart(file, MAX_PICKLE_SCAN_BYTES);
    scan = scanPickleStreams(file, start.bytes, { fileCapped: start.capped, mode });
  }
  if (mode === 'sniff' && scan.streams === 0 && scan.findings.length === 0) return result;
  result.bytesScanned = start.bytes.length;
  return addStreams(result, ext, scan, '');
}

/** Pickle streams found in a file (or in its decompressed content): format, imports, findings. */
function addStreams(result: ScanResult, ext: string, scan: StreamsScan, wrapped: string): ScanResult {
  const file = result.file;
  result.pickleBased = true;
  result.pickles = scan.streams;
  result.imports = scan.imports;
  const joblib = ext === '.joblib' || scan.imports.some((i) => /(^|\.)joblib\.numpy_pickle$/.test(i.module));
  result.format = scan.legacyTorch ? 'pytorch-legacy' : joblib ? 'joblib' : 'pickle';
  result.findings.push(...importFindings(file, scan.imports), ...scan.findings);
  addPickleNote(result, `${scan.legacyTorch ? 'This PyTorch checkpoint (legacy format)' : joblib ? 'This joblib file' : 'This pickle'}${wrapped}`);
  return result;
}

/**
 * zlib/gzip/bz2/xz/lzma content is decompressed (up to the scan cap) and sniffed for
 * pickles; lz4 cannot be, nor bz2/xz/lzma the decoder refuses, so under a name a loader may
 * unpickle they are not verifiable.
 * Undefined when the content is not a pickle (a gzipped IDX dataset): scanning goes on.
 */
async function scanCompressedFile(file: string, ext: string, kind: Compression, result: ScanResult): Promise<ScanResult | undefined> {
  const mustBePickle = PICKLE_ONLY_EXTENSIONS.has(ext);
  const inflated = canInflate(kind) ? await inflateFile(file, kind, MAX_PICKLE_SCAN_BYTES, SNIFF_BYTES, (head, ended) => mustBePickle || mayHoldPickle(head, !ended)) : undefined;
  if (!inflated || inflated.undecoded !== undefined) {
    result.pickleBased = true;
    const why = inflated ? `the scanner could not decode it (${inflated.undecoded})` : `the scanner does not decompress ${kind}`;
    result.findings.push(finding(file, 'unverified-artifact', 'high',
      `the file is ${kind}-compressed (as joblib.dump(compress='${kind}') writes); ${why}, so what a loader would unpickle from it could not be verified. Do not load it unless you trust its source.`,
      { compression: kind }));
    return result;
  }
  if (inflated.stopped) return undefined;
  const mode = mustBePickle || hasProtocolHeader(inflated.bytes) ? 'pickle' : 'sniff';
  const scan = scanPickleStreams(file, inflated.bytes, { fileCapped: inflated.capped || inflated.error !== undefined, mode });
  // Nothing pickled inside (a gzipped dataset, or bytes that only looked like a zlib header): not ours.
  if (scan.streams === 0 && scan.findings.length === 0) return undefined;
  result.bytesScanned = inflated.bytes.length;
  if (inflated.error && scan.end < inflated.bytes.length) {
    scan.findings.push(finding(file, 'unverified-artifact', 'high', `the ${kind} data is corrupt after ${inflated.bytes.length} inflated bytes (${inflated.error}); what a loader reads past that could not be verified.`, { compression: kind }));
  }
  return addStreams(result, ext, scan, ` (${kind}-compressed)`);
}

/** torch's oldest format is a tar whose storages and tensors members interleave pickles with raw data. */
async function scanTarFile(file: string, result: ScanResult): Promise<ScanResult> {
  const whole = await readStart(file, MAX_ZIP_FILE_BYTES);
  const { members, error } = listTar(whole.bytes);
  const torch = members.some((m) => m.name === 'pickle');
  result.bytesScanned = whole.bytes.length;
  for (const m of members) {
    const mode = ['pickle', 'sys_info', 'storages', 'tensors'].includes(m.name) ? 'pickle' : 'sniff';
    const scan = scanPickleStreams(file, m.data, { member: m.name, mode });
    if (scan.streams === 0 && scan.findings.length === 0) continue;
    result.pickleBased = true;
    result.pickles += scan.streams;
    result.imports.push(...scan.imports);
    result.findings.push(...scan.findings);
  }
  result.findings.unshift(...importFindings(file, result.imports));
  if (torch) {
    result.format = 'pytorch-legacy';
    result.pickleBased = true;
    result.findings.push(finding(file, 'unverified-artifact', 'high',
      'a tar-format PyTorch checkpoint (torch < 0.4): its "storages" and "tensors" members interleave pickles with raw tensor data, which the scanner does not model, so the pickles after the first raw block could not be verified. Re-save it with a current torch or convert it to safetensors.'));
  }
  if (error && (torch || result.pickleBased)) result.findings.push(finding(file, 'unverified-artifact', 'high', `${error}; the rest of the archive could not be verified.`));
  if (whole.capped && result.pickleBased) result.findings.push(finding(file, 'unverified-artifact', 'high', `the tar archive is larger than the scanner reads (${MAX_ZIP_FILE_BYTES} bytes); the rest could not be verified.`));
  addPickleNote(result, 'This tar archive');
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
  const flagged = result.findings.some((f) => (f.rule === 'unsafe-artifact' || f.rule === 'unverified-artifact') && (f.severity === 'high' || f.severity === 'medium'));
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
