/** Writes NPY arrays and deflated NPZ archives (numpy's formats) for the example's data files. */
import * as fs from 'node:fs';
import { zipSync } from 'fflate';

type Typed = Uint8Array | Int32Array | Float32Array;

const DESCR: Record<string, string> = { Uint8Array: '|u1', Int32Array: '<i4', Float32Array: '<f4' };

export function encodeNpy(data: Typed, shape: number[]): Uint8Array {
  const descr = DESCR[data.constructor.name];
  if (!descr) throw new Error(`unsupported array type ${data.constructor.name}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Version 1.0: magic(6) + version(2) + header length(2) + header, padded to 64 bytes with a final newline.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

export function writeNpz(file: string, arrays: Record<string, { data: Typed; shape: number[] }>): void {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, a] of Object.entries(arrays)) entries[`${name}.npy`] = encodeNpy(a.data, a.shape);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, zipSync(entries, { level: 9 }));
  fs.renameSync(tmp, file);
}
