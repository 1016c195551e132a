/**
 * Worker thread that decodes Parquet and Arrow files for columnar-isolation.ts, so that a
 * corrupt file that sends hyparquet or apache-arrow into a near-endless loop or a huge
 * allocation can be stopped (terminate) instead of stalling the CLI or the language server.
 */
import { parentPort } from 'node:worker_threads';
import { InputError, formatLocation } from '../../errors';
import { readArrow } from './arrow';
import { readParquet } from './parquet';
import type { ColumnarRequest, ColumnarResponse } from './columnar-isolation';

const port = parentPort;
if (port) {
  port.on('message', (request: ColumnarRequest) => {
    void answer(request).then(({ response, transfer }) => port.postMessage(response, transfer));
  });
  port.postMessage({ ready: true });
}

async function answer(request: ColumnarRequest): Promise<{ response: ColumnarResponse; transfer: ArrayBuffer[] }> {
  const { id, format, bytes, file, opts } = request;
  try {
    const records = format === 'parquet' ? await readParquet(bytes, file, opts) : readArrow(bytes, file, opts);
    const transfer = [records.features.buffer as ArrayBuffer, ...(records.labels ? [records.labels.buffer as ArrayBuffer] : [])];
    return { response: { id, records }, transfer };
  } catch (e) {
    if (e instanceof InputError) {
      // The message starts with the formatted location; send the rest to rebuild the error.
      const detail = e.message.slice(formatLocation(e.location).length + 2);
      return { response: { id, inputError: { detail, location: e.location } }, transfer: [] };
    }
    return { response: { id, crash: e instanceof Error ? (e.stack ?? e.message) : String(e) }, transfer: [] };
  }
}
