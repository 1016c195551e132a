/** Reading a model file whole, under a size cap checked before any byte is read. */
import * as fs from 'node:fs';
import { InputError } from '../../errors';
import { formatBytes } from './hdf5-reader';

/** The file's bytes, or an InputError naming the size and the cap; `kind` names the format ("Keras", "ONNX"). */
export function readCapped(file: string, max: number, kind: string): Uint8Array {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    throw new InputError(`cannot read the model file: ${(e as Error).message}`, { file });
  }
  if (size > max) throw new InputError(`the file is ${formatBytes(size)}; ${kind} files over the ${formatBytes(max)} read cap are not loaded`, { file });
  return new Uint8Array(fs.readFileSync(file));
}
