/**
 * The shadow executor that trains on the workers of a BullMQ queue, for ShadowRequest's
 * `executor`. BullMQ is loaded only when a run starts, so a local audit never loads it.
 */
import type { ShadowExecutor } from '../shadow';
import type { QueueTarget } from './queue-url';

/** `source` names the records in the queue's error messages (the audit's data files). */
export function queuedShadowExecutor(target: QueueTarget, source: string): ShadowExecutor {
  return (run) => {
    const queue = require('./run-queued-jobs') as typeof import('./run-queued-jobs');
    return queue.runQueuedJobs(run, { target, source });
  };
}
