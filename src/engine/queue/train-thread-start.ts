/**
 * Starts a training thread for the queue worker: dist/queue-train-thread.js beside a
 * bundle, or train-thread.ts through tsx when running from source (the same bootstrap
 * as the shadow pool's threads).
 */
import type { Worker } from 'node:worker_threads';
import { startEngineThread } from '../shadow/worker-script';

export function startTrainThread(): Worker {
  return startEngineThread(__dirname, 'queue-train-thread.js', 'train-thread.ts');
}
