/** Starts a shadow-training worker thread: dist/shadow-worker.js in a build, shadow-worker.ts beside this file from source (see engine-thread.ts). */
import type { Worker } from 'node:worker_threads';
import { startEngineThread } from '../engine-thread';

/** The worker's stdout is a stream for the caller to route (see worker-pool.ts). */
const OPTIONS = { stdout: true };

export function startShadowWorker(): Worker {
  return startEngineThread(__dirname, 'shadow-worker.js', 'shadow-worker.ts', OPTIONS);
}
