/**
 * Starts a training worker thread: dist/shadow-worker.js in a build, else
 * workers/training-worker.ts from source (see engine-thread.ts). Started by path, not
 * imported: the entry composes shadow and defense training from the layer above both.
 */
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startEngineThread } from '../engine-thread';

/** The worker's stdout is a stream for the caller to route (see worker-pool.ts). */
const OPTIONS = { stdout: true };

export function startShadowWorker(): Worker {
  return startEngineThread(__dirname, 'shadow-worker.js', path.join('..', 'workers', 'training-worker.ts'), OPTIONS);
}
