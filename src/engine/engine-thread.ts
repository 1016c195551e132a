/**
 * Starts an engine worker thread from its script. Bundled (dist/*.js), the script is the
 * named .js file beside the running bundle. From source (tsx: unit tests, benchmarks) it
 * is the .ts file beside the caller, loaded through tsx's CommonJS hook: a worker's
 * `execArgv: ['--import', 'tsx']` does not register the hook before Node resolves a .ts
 * entry (measured on Node 20), so a small eval bootstrap does it. A leaf module: shadow
 * training and the isolated columnar readers both start threads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts `bundledName` in `dir` when running from a build, else `sourceName` in `dir`
 * through tsx's hook (see above). `dir` is the caller's __dirname.
 */
export function startEngineThread(dir: string, bundledName: string, sourceName: string, options: WorkerOptions): Worker {
  const thread = tryStartEngineThread(dir, bundledName, sourceName, options);
  if (thread === undefined) throw new Error(`${bundledName.replace(/\.js$/, '')} script not found beside ${dir} (expected ${bundledName} in a build)`);
  return thread;
}

/** As startEngineThread; undefined when neither script exists. */
export function tryStartEngineThread(dir: string, bundledName: string, sourceName: string, options: WorkerOptions): Worker | undefined {
  const bundled = path.join(dir, bundledName);
  if (fs.existsSync(bundled)) return new Worker(bundled, options);
  const source = path.join(dir, sourceName);
  if (!fs.existsSync(source)) return undefined;
  // Built from parts so a bundler never tries to resolve tsx at build time.
  const tsxHook = require.resolve(['tsx', 'cjs'].join('/'));
  const bootstrap = `require(${JSON.stringify(tsxHook)}); require(${JSON.stringify(source)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
