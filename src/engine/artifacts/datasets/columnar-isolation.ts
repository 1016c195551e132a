/**
 * Parquet and Arrow decoding in a worker thread with a time and memory limit. Their
 * libraries trust counts read from the file: a corrupt run length or page size can cost
 * minutes of CPU or gigabytes (found by the property tests), and a synchronous loop cannot
 * be interrupted in-process. One worker is kept for all reads and replaced after a timeout.
 * Bundled, the worker is columnar-worker.js beside the bundle (an esbuild entry); from
 * source it is columnar-worker.ts through tsx. Without either, decoding runs in-process.
 */
import type { Worker } from 'node:worker_threads';
import { InputError, type SourceLocation } from '../../errors';
import { tryStartEngineThread } from '../../engine-thread';
import { readArrow } from './arrow';
import type { LoadedRecords } from './loaded-records';
import { readParquet } from './parquet';
import type { TableOptions } from './table-columns';

export interface ColumnarRequest {
  id: number;
  format: 'parquet' | 'arrow';
  bytes: Uint8Array;
  file: string;
  opts: TableOptions;
}

export type ColumnarResponse =
  | { id: number; records: LoadedRecords }
  | { id: number; inputError: { detail: string; location: SourceLocation } }
  | { id: number; crash: string };

export const COLUMNAR_LIMITS = {
  /** Decoding time allowed per file, plus `msPerMegabyte` of its size. */
  baseTimeoutMs: 20_000,
  msPerMegabyte: 1_000,
  /** The worker's JS heap (row objects); typed arrays live outside it. */
  maxHeapMb: 2048,
};

let worker: { thread: Worker; ready: Promise<void> } | undefined;
let queue: Promise<unknown> = Promise.resolve();
let nextId = 1;

export function readColumnar(format: 'parquet' | 'arrow', bytes: Uint8Array, file: string, opts: TableOptions): Promise<LoadedRecords> {
  // One file at a time: the worker is single-threaded anyway, and a timeout kills it.
  const result = queue.then(() => readInWorker(format, bytes, file, opts));
  queue = result.catch(() => undefined);
  return result;
}

async function readInWorker(format: 'parquet' | 'arrow', bytes: Uint8Array, file: string, opts: TableOptions): Promise<LoadedRecords> {
  const current = worker ?? (worker = startWorker());
  if (!current) return format === 'parquet' ? readParquet(bytes, file, opts) : readArrow(bytes, file, opts);
  await current.ready;
  const { thread } = current;
  const id = nextId++;
  const timeoutMs = COLUMNAR_LIMITS.baseTimeoutMs + COLUMNAR_LIMITS.msPerMegabyte * (bytes.length / 2 ** 20);
  thread.ref();
  try {
    return await new Promise<LoadedRecords>((resolve, reject) => {
      const timer = setTimeout(() => {
        discard(current);
        reject(new InputError(`decoding the ${format === 'parquet' ? 'Parquet' : 'Arrow'} file took longer than ${(timeoutMs / 1000).toFixed(1)} s and was stopped; the file is probably corrupt`, { file }));
      }, timeoutMs);
      const onMessage = (response: ColumnarResponse) => {
        if (response.id !== id) return;
        cleanup();
        if ('records' in response) resolve(response.records);
        else if ('inputError' in response) reject(new InputError(response.inputError.detail, response.inputError.location));
        else reject(new Error(`columnar worker failed: ${response.crash}`));
      };
      const onError = (e: Error) => {
        cleanup();
        discard(current);
        const outOfMemory = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        reject(outOfMemory
          ? new InputError(`decoding the file needed more than ${COLUMNAR_LIMITS.maxHeapMb} MB and was stopped; the file is probably corrupt or too large`, { file })
          : e);
      };
      const onExit = () => onError(new Error('columnar worker exited'));
      const cleanup = () => {
        clearTimeout(timer);
        thread.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      thread.on('message', onMessage).on('error', onError).on('exit', onExit);
      thread.postMessage({ id, format, bytes, file, opts } satisfies ColumnarRequest);
    });
  } finally {
    if (worker === current) thread.unref();
  }
}

function discard(current: { thread: Worker }): void {
  if (worker === current) worker = undefined;
  void current.thread.terminate();
}

function startWorker(): { thread: Worker; ready: Promise<void> } | undefined {
  const options = { resourceLimits: { maxOldGenerationSizeMb: COLUMNAR_LIMITS.maxHeapMb } };
  const thread = tryStartEngineThread(__dirname, 'columnar-worker.js', 'columnar-worker.ts', options);
  if (thread === undefined) return undefined;
  thread.unref();
  // A worker that dies between reads (e.g. a library's late unhandled rejection) is replaced.
  thread.once('exit', () => {
    if (worker?.thread === thread) worker = undefined;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const onReady = (m: unknown) => {
      if ((m as { ready?: boolean }).ready) { thread.off('message', onReady); resolve(); }
    };
    thread.on('message', onReady);
    thread.once('error', reject);
  });
  return { thread, ready };
}
