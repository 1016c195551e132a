/**
 * The training threads of one queue worker process: one per concurrent job, started on
 * first use and kept for the next job (starting a thread and loading the trainer costs
 * more than a small job). They are the shadow pool's own worker threads
 * (workers/training-worker.ts): each job sends its setup, then the job. A thread that failed is
 * dropped, never reused.
 */
import type { Worker } from 'node:worker_threads';
import type { DefendedMessage, DefendMessage } from '../defenses/training/defend-pool';
import type { DefendJob, DefendJobResult } from '../defenses/training/job';
import { StoppedError } from '../shadow/step-hooks';
import type { GroupJob, ShadowResult } from '../shadow/train-group';
import { deserializeWorkerError } from '../shadow/worker-pool';
import type { FromWorker, ToWorker, WorkerSetup } from '../shadow/worker-messages';
import { startShadowWorker } from '../shadow/worker-script';

export interface ThreadJob {
  setup: Omit<WorkerSetup, 'stop'>;
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
      const post = (m: ToWorker): void => thread.postMessage(m);
      const onMessage = (m: FromWorker): void => {
        switch (m.type) {
          case 'ready':
            post({ type: 'train', job: work.job });
            return;
          case 'progress':
            work.onSamples(m.samples);
            return;
          case 'shadow':
            work.onShadow(m);
            return;
          case 'job-done':
            finish(undefined, m.backend);
            return;
          case 'stopped':
            finish(new StoppedError());
            return;
          case 'error':
            finish(deserializeWorkerError(m.error));
            return;
          default:
            // A thread answers a shadow job with shadow messages only; anything else is a bug.
            finish(new Error(`unexpected message "${(m as { type: string }).type}" from a training thread`));
        }
      };
      const onExit = (code: number): void => finish(new Error(`a training thread exited (code ${code}) during a job`));
      const onError = (e: Error): void => finish(e);
      thread.on('message', onMessage);
      thread.on('exit', onExit);
      thread.on('error', onError);
      post({ type: 'setup', setup: { ...work.setup, stop: work.stop } });
    });
  }

  /** Trains one defended model on a thread (the message a local defended run sends); rejects with StoppedError when stopped. */
  async runDefend(job: DefendJob, stop: Int32Array, onSamples: (count: number) => void): Promise<DefendJobResult> {
    const thread = this.idle.pop() ?? this.start();
    return new Promise<DefendJobResult>((resolve, reject) => {
      const finish = (error: Error | undefined, result?: DefendJobResult): void => {
        thread.off('message', onMessage);
        thread.off('exit', onExit);
        thread.off('error', onError);
        if (error === undefined || error instanceof StoppedError) this.idle.push(thread);
        else this.drop(thread);
        if (error === undefined) resolve(result as DefendJobResult);
        else reject(error);
      };
      const onMessage = (m: FromWorker | DefendedMessage): void => {
        if (m.type === 'progress') onSamples(m.samples);
        else if (m.type === 'defended') finish(undefined, m.result);
        else if (m.type === 'stopped') finish(new StoppedError());
        else if (m.type === 'error') finish(deserializeWorkerError(m.error));
        else finish(new Error(`unexpected message "${m.type}" from a training thread`));
      };
      const onExit = (code: number): void => finish(new Error(`a training thread exited (code ${code}) during a job`));
      const onError = (e: Error): void => finish(e);
      thread.on('message', onMessage);
      thread.on('exit', onExit);
      thread.on('error', onError);
      const message: DefendMessage = { type: 'defend', job, stop };
      thread.postMessage(message);
    });
  }

  async dispose(): Promise<void> {
    const threads = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(threads.map((t) => t.terminate()));
  }

  private start(): Worker {
    const thread = startShadowWorker();
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
