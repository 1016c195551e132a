/**
 * Where the tfjs-wasm binaries are. The bundled CLI (dist/cli.js) has copies in
 * dist/wasm/ (esbuild.mjs puts them there); unbundled runs (tsx, unit tests) use the
 * ones inside the installed @tensorflow/tfjs-backend-wasm package.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const WASM_BINARY_NAMES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

export type WasmBinaryName = (typeof WASM_BINARY_NAMES)[number];

/** Absolute path of each binary, for `setWasmPaths`; throws if none is found. */
export function locateWasmBinaries(): Record<WasmBinaryName, string> {
  const candidates: string[] = [path.join(__dirname, 'wasm')];
  try {
    candidates.push(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // Not installed beside us: only the bundled copy can work.
  }
  // The simd build is the one Node loads (see index.ts); it must exist in the chosen folder.
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'tfjs-backend-wasm-simd.wasm')));
  if (dir === undefined) {
    throw new Error(`tfjs-backend-wasm binaries not found; looked in: ${candidates.join(', ')}`);
  }
  const files = {} as Record<WasmBinaryName, string>;
  for (const name of WASM_BINARY_NAMES) files[name] = path.join(dir, name);
  return files;
}
