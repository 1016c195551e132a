/**
 * Training thread of a queue worker (bundled as dist/queue-train-thread.js). Training is
 * synchronous between steps, so it runs here and not on the worker process's event loop:
 * that loop must stay free to renew BullMQ's job locks (else a long job looks stalled
 * and is handed to a second worker), to poll the audit's cancel flag and to react to
 * SIGTERM. The thread calls trainGroup, exactly as a local run's pool does.
 */
import { parentPort } from 'node:worker_threads';
import { sharedFlagHooks, StoppedError } from '../shadow/step-hooks';
import { trainGroup } from '../shadow/train-group';
import type { FromTrainThread, TrainRequest } from './thread-messages';

/** Sample counts at most this often: enough for a smooth ETA, cheap to send. */
const SAMPLES_INTERVAL_MS = 200;

const port = parentPort;
if (port === null) throw new Error('queue train-thread must run in a worker thread');

function post(message: FromTrainThread, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(message, transfer);
}

port.on('message', (request: TrainRequest) => {
  void train(request).catch((e: unknown) => {
    if (e instanceof StoppedError) post({ type: 'stopped' });
    else {
      const error = e instanceof Error ? e : new Error(String(e));
      post({ type: 'error', name: error.name, message: error.message, stack: error.stack });
    }
  });
});

async function train(request: TrainRequest): Promise<void> {
  const { hooks, flush } = sharedFlagHooks(request.stop, (count) => post({ type: 'samples', count }), SAMPLES_INTERVAL_MS);
  const backend = await trainGroup(request.setup, request.setup.backend, request.job, hooks, (result) => {
    flush();
    const transfer = [result.auditProbabilities.buffer as ArrayBuffer];
    if (result.populationProbabilities) transfer.push(result.populationProbabilities.buffer as ArrayBuffer);
    post({ type: 'shadow', ...result }, transfer);
  });
  flush();
  post({ type: 'done', backend });
}
