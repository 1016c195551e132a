/**
 * The training threads of one queue worker process: one per concurrent job, started on
 * first use and kept for the next job (starting a thread and loading the trainer costs
 * more than a small job). A thread that failed is dropped, never reused.
 */
import type { Worker } from 'node:worker_threads';
import { StoppedError } from '../shadow/step-hooks';
import type { GroupJob, ShadowResult } from '../shadow/train-group';
import { startTrainThread } from './train-thread-start';
import type { FromTrainThread, TrainRequest } from './thread-messages';

export interface ThreadJob {
  setup: TrainRequest['setup'];
  job: GroupJob;
  stop: Int32Array;
  onSamples: (count: number) => void;
  onShadow: (result: ShadowResult) => void;
}

export class TrainingThreads {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();

  /** Trains the job on a thread; resolves with the backend used, rejects with StoppedError when stopped. */
  async run(work: ThreadJob): Promise<string> {
    const thread = this.idle.pop() ?? this.start();
    return new Promise<string>((resolve, reject) => {
      const finish = (error: Error | undefined, backend = ''): void => {
        thread.off('message', onMessage);
        thread.off('exit', onExit);
        thread.off('error', onError);
        if (error === undefined || error instanceof StoppedError) this.idle.push(thread);
        else this.drop(thread);
        if (error === undefined) resolve(backend);
        else reject(error);
      };
      const onMessage = (m: FromTrainThread): void => {
        switch (m.type) {
          case 'samples':
            work.onSamples(m.count);
            return;
          case 'shadow':
            work.onShadow(m);
            return;
          case 'done':
            finish(undefined, m.backend);
            return;
          case 'stopped':
            finish(new StoppedError());
            return;
          case 'error': {
            const error = new Error(m.message);
            error.name = m.name;
            if (m.stack !== undefined) error.stack = m.stack;
            finish(error);
            return;
          }
        }
      };
      const onExit = (code: number): void => finish(new Error(`a training thread exited (code ${code}) during a job`));
      const onError = (e: Error): void => finish(e);
      thread.on('message', onMessage);
      thread.on('exit', onExit);
      thread.on('error', onError);
      const request: TrainRequest = { type: 'train', setup: work.setup, job: work.job, stop: work.stop };
      thread.postMessage(request);
    });
  }

  async dispose(): Promise<void> {
    const threads = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(threads.map((t) => t.terminate()));
  }

  private start(): Worker {
    const thread = startTrainThread();
    // Thread console output (tfjs banners) goes to stderr, beside the worker's log.
    thread.stdout.pipe(process.stderr, { end: false });
    this.all.add(thread);
    return thread;
  }

  private drop(thread: Worker): void {
    this.all.delete(thread);
    void thread.terminate();
  }
}
