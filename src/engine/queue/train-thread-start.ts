/**
 * Starts a training thread for the queue worker: dist/queue-train-thread.js beside a
 * bundle, or train-thread.ts through tsx's CommonJS hook when running from source (the
 * same bootstrap as shadow/worker-script.ts, for the same reason).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

const OPTIONS = { stdout: true };

export function startTrainThread(): Worker {
  const bundled = path.join(__dirname, 'queue-train-thread.js');
  if (fs.existsSync(bundled)) return new Worker(bundled, OPTIONS);
  const source = path.join(__dirname, 'train-thread.ts');
  if (fs.existsSync(source)) {
    const tsxHook = require.resolve(['tsx', 'cjs'].join('/'));
    const bootstrap = `require(${JSON.stringify(tsxHook)}); require(${JSON.stringify(source)});`;
    return new Worker(bootstrap, { ...OPTIONS, eval: true });
  }
  throw new Error(`queue-train-thread script not found beside ${__dirname} (expected queue-train-thread.js in a build)`);
}
