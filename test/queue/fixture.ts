/**
 * Tiny shadow runs for the queue tests: a 12-feature 3-class dataset and a 12-16-3 MLP
 * (the stacked trainer), few shadows, few epochs; and spawning `privacy-lint worker`
 * processes from source. Small enough that a whole test file trains in seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from '../../src/engine/artifacts/dataset';
import { queuedShadowExecutor } from '../../src/engine/queue/queue-executor';
import type { QueueTarget } from '../../src/engine/queue/queue-url';
import type { ShadowRequest } from '../../src/engine/shadow';
import { makeRandom } from '../../src/engine/shadow/random';

export const ROOT = path.resolve(__dirname, '../..');
const FEATURES = 12;
const CLASSES = 3;

export function dataset(dir: string, name: string, count: number, seed: number): Dataset {
  const random = makeRandom(seed);
  const features = new Float32Array(count * FEATURES);
  const labels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    let u = 0;
    for (let i = 0; i < FEATURES; i++) {
      const x = random() * 2 - 1;
      features[r * FEATURES + i] = x;
      if (i % 2 === 0) u += x;
    }
    labels[r] = random() < 0.3 ? Math.floor(random() * CLASSES) : u > 0.3 ? 0 : u < -0.3 ? 1 : 2;
  }
  return { source: path.join(dir, name), count, featureShape: [FEATURES], features, labels };
}

/** A Keras Sequential config of Dense layers, written by hand (no tfjs needed). */
export function writeMlp(dir: string, hidden = 16): string {
  const file = path.join(dir, `model-${hidden}.json`);
  const dense = (name: string, units: number, activation: string, input?: number) => ({
    class_name: 'Dense',
    config: {
      name, units, activation, use_bias: true, trainable: true,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
      ...(input !== undefined ? { batch_input_shape: [null, input] } : {}),
    },
  });
  const topology = { class_name: 'Sequential', config: { name: 'mlp', layers: [dense('hidden', hidden, 'relu', FEATURES), dense('out', CLASSES, 'softmax')] } };
  fs.writeFileSync(file, JSON.stringify({ format: 'layers-model', modelTopology: topology, weightsManifest: [] }));
  return file;
}

/**
 * `hidden` sizes the MLP: the fault tests use a wide one so a job runs long enough to be
 * interrupted. `extra.queue` trains through that queue (the executor the audit would inject).
 */
export function shadowRequest(
  dir: string, cacheDir: string, overrides: Partial<ShadowRequest['settings']> = {},
  { queue, ...extra }: Partial<ShadowRequest> & { queue?: QueueTarget } = {}, hidden = 16,
): ShadowRequest {
  const auditRecords = dataset(dir, 'audit.csv', 60, 1);
  return {
    architectureFile: writeMlp(dir, hidden),
    auditRecords,
    population: dataset(dir, 'population.csv', 40, 2),
    numClasses: CLASSES,
    settings: {
      count: 6, epochs: 8, batchSize: 8, learningRate: 0.01, optimizer: 'adam', seed: 11, trainSize: 40,
      queries: ['identity'], workers: 1, ...overrides,
    },
    cacheDir,
    ...(queue ? { executor: queuedShadowExecutor(queue, auditRecords.source) } : {}),
    ...extra,
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker wrote to stderr so far. */
  log(): string;
  /** Resolves when its log contains `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** `privacy-lint worker` from source; short lock so a killed worker's job is retried quickly. */
export function spawnWorker(url: string, args: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'worker', '--queue', url,
    '--lock-duration', '2000', '--stalled-interval', '1000', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
  let text = '';
  const waiters: { pattern: string | RegExp; resolve: () => void }[] = [];
  const matches = (p: string | RegExp) => (typeof p === 'string' ? text.includes(p) : p.test(text));
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
    for (const w of [...waiters]) if (matches(w.pattern)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    log: () => text,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) => new Promise<void>((resolve, reject) => {
      if (matches(pattern)) return resolve();
      const timer = setTimeout(() => reject(new Error(`worker log has no ${String(pattern)} after ${timeoutMs} ms:\n${text}`)), timeoutMs);
      waiters.push({ pattern, resolve: () => { clearTimeout(timer); resolve(); } });
    }),
  };
}

export async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
}
