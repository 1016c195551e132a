/** Distributed shadow training on a BullMQ queue in Redis; see docs/distributed.md. */
export { parseQueueUrl, type QueueTarget } from './queue-url';
export { queueExecutor, runQueuedJobs, type QueueRunOptions } from './run-queued-jobs';
export { startQueueWorker, type QueueWorkerOptions, type RunningQueueWorker } from './queue-worker';
export { MAX_BLOB_BYTES } from './record-blob';
