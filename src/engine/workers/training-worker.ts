/**
 * Worker-thread entry for shadow training and defended retraining (bundled as
 * dist/shadow-worker.js; started by shadow/worker-script.ts). Each worker computes on
 * its own thread (tfjs-wasm and our kernels are single-threaded in Node, so parallelism
 * comes from running several of these), receives one setup and then jobs, and posts each
 * shadow's scores as soon as they exist. TensorFlow.js and its backend are started only
 * by jobs that need them (see train-group.ts). It sits above shadow/ and defenses/ and
 * imports both, so neither imports the other for its threads.
 */
import { parentPort } from 'node:worker_threads';
import type { DefendedMessage, DefendMessage } from '../defenses/training/defend-pool';
import { InputError } from '../errors';
import { sharedFlagHooks, StoppedError, type StepHooks } from '../shadow/step-hooks';
import { trainGroup } from '../shadow/train-group';
import type { FromWorker, SerializedError, ToWorker, WorkerSetup } from '../shadow/worker-messages';

/** Progress messages at most this often: enough for a smooth ETA, cheap to send. */
const PROGRESS_INTERVAL_MS = 200;

const port = parentPort;
if (port === null) throw new Error('training-worker must run in a worker thread');

let setup: WorkerSetup | undefined;

function post(message: FromWorker | DefendedMessage, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(message, transfer);
}

port.on('message', (message: ToWorker | DefendMessage) => {
  void handle(message).catch((e: unknown) => {
    if (e instanceof StoppedError) post({ type: 'stopped' });
    else post({ type: 'error', error: serialize(e) });
  });
});

type DefendModule = typeof import('../defenses/training/job');

async function handle(message: ToWorker | DefendMessage): Promise<void> {
  if (message.type === 'setup') {
    setup = message.setup;
    post({ type: 'ready' });
    return;
  }
  if (message.type === 'defend') {
    const { hooks, flush } = stepHooks(message.stop);
    // Loaded on first use, like per-model.ts: shadow-only workers never load it.
    const { runDefendJob } = require('../defenses/training/job') as DefendModule;
    const result = await runDefendJob(message.job, hooks);
    flush();
    post({ type: 'defended', result });
    return;
  }
  if (setup === undefined) throw new Error('shadow worker got a job before its setup');
  const { hooks, flush } = stepHooks(setup.stop);
  const backend = await trainGroup(setup, setup.backend, message.job, hooks, (result) => {
    flush();
    const transfer = [result.auditProbabilities.buffer as ArrayBuffer];
    if (result.populationProbabilities) transfer.push(result.populationProbabilities.buffer as ArrayBuffer);
    post({ type: 'shadow', ...result }, transfer);
  });
  flush();
  post({ type: 'job-done', backend });
}

/** Step hooks polling the shared stop flag, with progress batched into messages. */
function stepHooks(stop: Int32Array): { hooks: StepHooks; flush: () => void } {
  return sharedFlagHooks(stop, (samples) => post({ type: 'progress', samples }), PROGRESS_INTERVAL_MS);
}

function serialize(e: unknown): SerializedError {
  if (e instanceof InputError) return { name: e.name, message: e.message, stack: e.stack, location: { ...e.location } };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}
