// Bundles the report webview (webview/src/main.ts, chart.js included) into
// dist/webview/report.js: one classic script for the browser, loaded by the panel's HTML
// with a CSP nonce. Type-checking is separate: npx tsc --noEmit -p webview
//
// Use from esbuild.mjs:  import { buildWebview } from './scripts/build-webview.mjs';
//                        await buildWebview({ production, watch });
// or alone:              node scripts/build-webview.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { rmSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** @param {{ production?: boolean }} [options] */
export function webviewBuildOptions({ production = false } = {}) {
  return {
    absWorkingDir: root,
    entryPoints: ['webview/src/main.ts'],
    outfile: 'dist/webview/report.js',
    tsconfig: 'webview/tsconfig.json',
    bundle: true,
    platform: 'browser',
    // An IIFE keeps every name out of the page's global scope; the nonce'd <script> runs it.
    format: 'iife',
    target: 'es2020',
    sourcemap: !production,
    minify: production,
    // No `external`: on platform 'browser' an import of a Node built-in or 'vscode' fails
    // the build, which is what we want (the webview may import only types from the extension).
    logLevel: 'info',
  };
}

/** @param {{ production?: boolean, watch?: boolean }} [options] */
export async function buildWebview({ production = false, watch = false } = {}) {
  const options = webviewBuildOptions({ production });
  // A production build writes no map; drop a stale one so it is not packaged by accident.
  if (production) rmSync(join(root, `${options.outfile}.map`), { force: true });
  if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
    return ctx;
  }
  return esbuild.build(options);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWebview({ production: process.argv.includes('--production'), watch: process.argv.includes('--watch') });
}
