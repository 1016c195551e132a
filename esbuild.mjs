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
  { in: 'src/engine/workers/training-worker.ts', out: 'shadow-worker' },
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

/**
 * onnxruntime-node is bundled like any package, except its native addon: binding.js picks
 * it with a computed require (../bin/napi-v6/<platform>/<arch>/...), which no bundler can
 * follow. Point it at dist/native/onnxruntime/ instead, where copyOnnxRuntime() puts the
 * addon and libonnxruntime (the addon finds the library through its $ORIGIN runpath), so
 * the .vsix carries a working runtime and ONNX models audit inside VS Code too.
 */
const onnxruntimeBinding = {
  name: 'onnxruntime-binding',
  setup(build) {
    build.onLoad({ filter: /[\\/]onnxruntime-node[\\/]dist[\\/]binding\.js$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(args.path, 'utf8');
      const computed = 'require(`../bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`)';
      if (!source.includes(computed)) throw new Error(`onnxruntime-node's binding.js no longer loads its addon as expected: ${args.path}`);
      const staged = "require(require('node:path').join(__dirname, 'native', 'onnxruntime', 'onnxruntime_binding.node'))";
      return { contents: source.replace(computed, staged), loader: 'js' };
    });
  },
};

/** The addon and its library for this machine's platform and architecture (a .vsix is per platform once it carries them). */
function copyOnnxRuntime() {
  const from = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  if (!existsSync(from)) {
    console.warn(`onnxruntime-node has no binaries for ${process.platform}-${process.arch}: ONNX models cannot be audited from this build.`);
    return;
  }
  mkdirSync('dist/native/onnxruntime', { recursive: true });
  cpSync(from, 'dist/native/onnxruntime', { recursive: true });
}

const nodeOptions = {
  entryPoints: nodeEntries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  // tfjs-node is optional and native: required at run time from node_modules when installed.
  external: ['vscode', '@tensorflow/tfjs-node'],
  plugins: [h5wasmImportMeta, onnxruntimeBinding],
  // jsonc-parser's UMD main does not bundle (dynamic requires); its ESM build does.
  mainFields: ['module', 'main'],
  logLevel: 'info',
};

const extensionOptions = { ...nodeOptions, entryPoints: extensionEntries, external: ['vscode'] };

copyWasmAssets();
copyOnnxRuntime();
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
