/**
 * Chooses the TensorFlow.js backend all engine computation runs on:
 * tfjs-node ('tensorflow') when it is installed, else WebAssembly, else pure JS.
 *
 * wasm in Node: tfjs-wasm 4.22 reports no multithreading under Node (its threaded
 * build starts workers from blob: URLs, which Node's worker_threads refuse with
 * ERR_WORKER_PATH), so it loads the single-threaded SIMD build and setThreadsCount
 * has no effect. That suits us: parallel work (shadow models) runs in separate
 * worker_threads, each with its own single-threaded backend.
 */
import * as tf from '@tensorflow/tfjs-core';
// A named import on purpose: tfjs-backend-cpu registers itself when loaded, but its
// package.json marks the Node build side-effect free, so esbuild drops a bare
// `import '@tensorflow/tfjs-backend-cpu'` (measured). Using an export keeps it.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { locateWasmBinaries } from './wasm-files';
import { registerWasmTrainingKernels } from './wasm-kernels';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendInfo {
  name: BackendName;
  /** Set when 'auto' could not use a faster backend: why each one was skipped. */
  fallbackReason?: string;
}

let current: BackendInfo | undefined;
/** Serialises initialisations so concurrent callers never race on tf.setBackend. */
let queue: Promise<unknown> = Promise.resolve();
let wasmPathsSet = false;

/**
 * Initialises the backend for `preference` and makes it tf's active backend.
 * Repeated calls return the same info (and re-activate that backend if something
 * switched away), unless an explicit, different backend is asked for. An explicitly
 * requested backend that cannot start throws.
 */
export function initBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  const run = queue.then(() => choose(preference));
  queue = run.catch(() => undefined);
  return run;
}

/** The backend chosen by the last successful initBackend, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

async function choose(preference: BackendPreference): Promise<BackendInfo> {
  if (current !== undefined && (preference === 'auto' || preference === current.name)) {
    if (tf.getBackend() !== current.name) await tf.setBackend(current.name);
    return current;
  }
  if (preference !== 'auto') {
    const failure = await start(preference);
    if (failure !== undefined) {
      throw new Error(`TensorFlow.js backend '${preference}' is not available: ${failure}`);
    }
    current = { name: preference };
    return current;
  }
  const skipped: string[] = [];
  for (const name of ['tensorflow', 'wasm', 'cpu'] as const) {
    const failure = await start(name);
    if (failure === undefined) {
      current = skipped.length === 0 ? { name } : { name, fallbackReason: skipped.join('; ') };
      return current;
    }
    skipped.push(`${name}: ${failure}`);
  }
  throw new Error(`no TensorFlow.js backend could start (${skipped.join('; ')})`);
}

/** Activates one backend; returns why it could not, or undefined on success. */
async function start(name: BackendName): Promise<string | undefined> {
  try {
    if (name === 'tensorflow') {
      // Optional native dependency, never bundled: load it only when asked for.
      require('@tensorflow/tfjs-node');
    } else if (name === 'wasm' && !wasmPathsSet) {
      setWasmPaths(locateWasmBinaries());
      wasmPathsSet = true;
    }
  } catch (e) {
    return firstLine(e);
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    return firstLine(e);
  }
  if (!ok) {
    const version = name === 'cpu' ? ` (tfjs-backend-cpu ${version_cpu})` : '';
    return `tf.setBackend('${name}') failed to initialise it${version}`;
  }
  if (name === 'wasm') registerWasmTrainingKernels();
  return undefined;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0];
}
