/** Recognises a TensorFlow.js model.json (layers or graph model) without loading its weights. */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { readRegularFileSync } from '../artifacts/safe-files';
import { basename } from 'node:path';

/** model.json with inline topology can be several MB; anything far larger is not one. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

export function isTfjsModelJson(file: string): boolean {
  try {
    // Regular files only: a FIFO named model.json must not hang detection.
    const json: unknown = JSON.parse(readRegularFileSync(file, { maxBytes: MAX_MODEL_JSON_BYTES, what: 'model file' }).toString('utf8'));
    return typeof json === 'object' && json !== null && 'modelTopology' in json && 'weightsManifest' in json;
  } catch {
    return false;
  }
}

/**
 * A model file an audit can load: a TF.js model.json, or a Keras .h5/.keras or ONNX file
 * whose first bytes match its format (HDF5 signature, zip, protobuf field 1 = ir_version).
 * Only the first bytes are read.
 */
export function isAuditableModelFile(file: string): boolean {
  const base = file.toLowerCase();
  if (base.endsWith('.json')) return basename(base) === 'model.json' && isTfjsModelJson(file);
  const magic = base.endsWith('.h5') || base.endsWith('.hdf5') ? HDF5_MAGIC : base.endsWith('.keras') ? ZIP_MAGIC : base.endsWith('.onnx') ? ONNX_FIRST_BYTE : undefined;
  if (!magic) return false;
  try {
    // O_NONBLOCK and a regular-file check: a FIFO or device must not hang or feed detection.
    const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!fstatSync(fd).isFile()) return false;
      const head = Buffer.alloc(magic.length);
      return readSync(fd, head, 0, magic.length, 0) === magic.length && head.equals(magic);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
/** ModelProto starts with ir_version (field 1, varint): tag byte 0x08. */
const ONNX_FIRST_BYTE = Buffer.from([0x08]);
