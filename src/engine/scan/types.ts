/** What scanning an artifact found, for the CLI's inspect, the server's diagnostics and tests. */
import type { Finding } from '../report/schema';
import type { ImportKind } from './import-policy';

export type ArtifactFormat =
  | 'pickle' | 'joblib' | 'pytorch-zip' | 'pytorch-legacy' | 'zip'
  | 'npy' | 'npz' | 'safetensors' | 'keras' | 'keras-h5' | 'onnx' | 'tfjs' | 'unknown';

export interface ScannedImport {
  module: string;
  name: string;
  /** Byte offset of the importing opcode in the file, or in `member` when it is inside an archive. */
  offset: number;
  member?: string;
  kind: ImportKind;
  /** The names as written in the pickle, when CPython's _compat_pickle mapping changes them. */
  written?: { module: string; name: string };
}

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range in the data section (after the header). */
  dataOffsets: [number, number];
}

export interface SafetensorsSummary {
  headerBytes: number;
  tensors: SafetensorsTensor[];
  metadata: Record<string, string>;
}

export interface ScanResult {
  /** The file as given. */
  file: string;
  format: ArtifactFormat;
  /** Holds a pickle somewhere (loading it with Python would unpickle). */
  pickleBased: boolean;
  findings: Finding[];
  imports: ScannedImport[];
  /** Pickle streams disassembled. */
  pickles: number;
  /** Bytes read from the file (or inflated from its members) to scan it. */
  bytesScanned: number;
  safetensors?: SafetensorsSummary;
  /** Sum of the tensors' element counts, where the format says (safetensors). */
  parameterCount?: number;
  /** Keras Lambda layers found in the model config. */
  lambdaLayers?: string[];
}
