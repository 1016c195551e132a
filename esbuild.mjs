// Bundles the CLI (and, as they land, the server, extension and webview).
// Type-checking is separate (`npm run typecheck`); esbuild only strips types.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Node entry points. tfjs-node is optional and native: never bundled, loaded if installed. */
const nodeEntries = [
  { in: 'src/cli/main.ts', out: 'cli' },
  { in: 'src/server/main.ts', out: 'server' },
  { in: 'src/server/audit-worker.ts', out: 'audit-worker' },
  { in: 'src/engine/shadow/shadow-worker.ts', out: 'shadow-worker' },
  { in: 'src/engine/artifacts/datasets/columnar-worker.ts', out: 'columnar-worker' },
].filter((e) => existsSync(e.in));

/** The extension host bundle: must never contain TensorFlow (checked by a unit test). */
const extensionEntries = [{ in: 'src/extension/main.ts', out: 'extension' }].filter((e) => existsSync(e.in));

function copyWasmAssets() {
  // The wasm backend fetches its .wasm files at runtime; they must sit beside the bundle.
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  mkdirSync('dist/wasm', { recursive: true });
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    cpSync(join(wasmDir, 'dist', f), join('dist/wasm', f));
  }
}

/**
 * h5wasm's ESM build (the one esbuild picks) names `import.meta.url` only for browsers; in a
 * CommonJS bundle import.meta is empty, so say so explicitly instead of leaving a warning.
 * Its wasm binary is embedded in the module: nothing to copy.
 */
const h5wasmImportMeta = {
  name: 'h5wasm-import-meta',
  setup(build) {
    build.onLoad({ filter: /[\\/]h5wasm[\\/]dist[\\/]esm[\\/]hdf5_util\.js$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replaceAll('import.meta.url', 'undefined'), loader: 'js' };
    });
  },
};

const nodeOptions = {
  entryPoints: nodeEntries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  // onnxruntime-node is a native addon: required at run time from node_modules, loaded lazily.
  external: ['vscode', '@tensorflow/tfjs-node', 'onnxruntime-node'],
  plugins: [h5wasmImportMeta],
  // jsonc-parser's UMD main does not bundle (dynamic requires); its ESM build does.
  mainFields: ['module', 'main'],
  logLevel: 'info',
};

const extensionOptions = { ...nodeOptions, entryPoints: extensionEntries, external: ['vscode'] };

copyWasmAssets();
const builds = [nodeOptions, ...(extensionEntries.length ? [extensionOptions] : [])];
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  if (existsSync('scripts/build-webview.mjs')) {
    const { buildWebview } = await import('./scripts/build-webview.mjs');
    await buildWebview({ production });
  }
}
