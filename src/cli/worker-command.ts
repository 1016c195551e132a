/**
 * `privacy-lint worker --queue redis://HOST:PORT`: trains the shadow models that audits
 * run with `--queue` put into the BullMQ queue, until SIGTERM or SIGINT. Run one per
 * machine (or pod) with --concurrency up to its core count; see docs/distributed.md.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { isInputError } from '../engine/errors';
import { parseQueueUrl, type QueueTarget } from '../engine/queue/queue-url';
import { DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS } from '../engine/queue/worker-timing';
import { wholeNumber } from './exit-codes';

type QueueWorkerModule = typeof import('../engine/queue/queue-worker');

/** Time beyond the grace period a worker may take to hand jobs back and disconnect. */
const CLOSE_SLACK_S = 10;
const EXIT_UNCLEAN = 1;

function queueUrl(value: string): QueueTarget {
  try {
    return parseQueueUrl(value);
  } catch (e) {
    if (isInputError(e)) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('train the shadow models of queued audits (privacy-lint audit --queue) until stopped')
    .requiredOption('--queue <url>', 'Redis server holding the queue, redis://HOST:PORT', queueUrl)
    .option('--concurrency <n>', 'jobs trained at once, one thread each (up to the core count is useful)', wholeNumber('--concurrency', 1), 1)
    .option('--lock-duration <ms>', 'how long a job stays locked without renewal: a dead worker\'s job is retried elsewhere after about this', wholeNumber('--lock-duration', 1), DEFAULT_LOCK_DURATION_MS)
    .option('--stalled-interval <ms>', 'how often this worker looks for jobs whose worker died', wholeNumber('--stalled-interval', 1), DEFAULT_STALLED_INTERVAL_MS)
    .option('--grace <seconds>', 'on SIGTERM, how long running jobs may finish before they are handed back to the queue', wholeNumber('--grace', 1), 30)
    .action(async (opts: { queue: QueueTarget; concurrency: number; lockDuration: number; stalledInterval: number; grace: number }) => {
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      // Loaded here, so other commands never load BullMQ.
      const { startQueueWorker } = require('../engine/queue/queue-worker') as QueueWorkerModule;
      log(`privacy-lint worker: connecting to ${opts.queue.url} (retrying until it answers)`);
      const worker = await startQueueWorker({
        target: opts.queue,
        concurrency: opts.concurrency,
        lockDurationMs: opts.lockDuration,
        stalledIntervalMs: opts.stalledInterval,
        log,
      });
      log(`privacy-lint worker: ready on ${opts.queue.url} (pid ${process.pid}, concurrency ${opts.concurrency})`);
      await new Promise<void>((resolve, reject) => {
        const stop = (signal: string): void => {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          log(`privacy-lint worker: ${signal}: finishing running jobs (up to ${opts.grace} s), then exiting`);
          // Redis unreachable: closing cannot hand jobs back; their locks expire and others retry them.
          setTimeout(() => {
            log(`privacy-lint worker: could not close within ${opts.grace + CLOSE_SLACK_S} s (Redis unreachable?); exiting`);
            process.exit(EXIT_UNCLEAN);
          }, (opts.grace + CLOSE_SLACK_S) * 1000).unref();
          worker.close(opts.grace * 1000).then(resolve, reject);
        };
        const onTerm = () => stop('SIGTERM');
        const onInt = () => stop('SIGINT');
        process.on('SIGTERM', onTerm);
        process.on('SIGINT', onInt);
      });
      log('privacy-lint worker: stopped');
    });
}
