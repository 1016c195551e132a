/** Reading a model file whole, under a size cap checked before any byte is read. */
import { readRegularFileSync } from '../safe-files';
import { formatBytes } from './hdf5-reader';

/** The file's bytes, or an InputError naming the size and the cap; `kind` names the format ("Keras", "ONNX"). */
export function readCapped(file: string, max: number, kind: string): Uint8Array {
  // Regular files only, inside the workspace, size checked before and after opening (safe-files.ts).
  return new Uint8Array(readRegularFileSync(file, {
    maxBytes: max,
    what: 'model file',
    tooLarge: (size) => `the file is ${formatBytes(size)}; ${kind} files over the ${formatBytes(max)} read cap are not loaded`,
  }));
}
