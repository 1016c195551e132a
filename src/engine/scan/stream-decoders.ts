/**
 * bz2 and xz decompression for the scanner, output handed over chunk by chunk so the caller
 * counts bytes and stops at its cap whatever the data claims (neither format's sizes are
 * trusted: nothing here allocates by them). bz2: seek-bzip (pure JavaScript, bytes in and
 * out through callbacks); xz: xz-decompress (xz-embedded compiled to wasm, embedded in the
 * package, a web stream). Both read bzip2/xz streams back to back, as Python's BZ2File and
 * LZMAFile (joblib's readers) do.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import Bunzip, { type ByteInput, type ByteOutput } from 'seek-bzip';
import { XzReadableStream } from 'xz-decompress';

/** What the caller says after each chunk: go on, stop (it has seen enough), or the cap is reached. */
export type Verdict = 'go' | 'stop' | 'cap';

export interface Decoded {
  halted?: 'stop' | 'cap';
  /** The data is corrupt, cut short or unsupported after what was handed over. */
  error?: string;
  /** The data uses a feature the decoder lacks but Python's bz2/lzma modules read: a loader may see more than the scanner. */
  unsupported?: boolean;
}

const CHUNK = 64 * 1024;

/** Thrown from inside seek-bzip's output callback to end decoding at once. */
class Halt {
  constructor(readonly verdict: 'stop' | 'cap') {}
}

/**
 * Input is read from the file 64 KiB at a time (never whole) and output leaves in 64 KiB
 * chunks, so a bomb costs at most the caller's cap; the event loop turns between blocks.
 */
export async function bunzipFile(file: string, onData: (chunk: Buffer) => Verdict): Promise<Decoded> {
  const fd = openSync(file, 'r');
  const inBuf = Buffer.allocUnsafe(CHUNK);
  let inLen = 0;
  let inPos = 0;
  const fill = () => {
    if (inPos < inLen) return true;
    inLen = readSync(fd, inBuf, 0, CHUNK, null);
    inPos = 0;
    return inLen > 0;
  };
  const input: ByteInput = {
    // seek-bzip's bit reader turns -1 into set bits and reads on: end of input is an error here.
    readByte(): number {
      if (!fill()) throw new Error('the bzip2 data ends before its end-of-stream marker');
      return inBuf[inPos++];
    },
    read(buffer: Uint8Array, offset: number, length: number): number {
      for (let i = 0; i < length; i++) buffer[offset + i] = input.readByte();
      return length;
    },
    eof: () => !fill(),
  };
  let out = Buffer.allocUnsafe(CHUNK);
  let outLen = 0;
  const flush = () => {
    if (outLen === 0) return;
    const chunk = out.subarray(0, outLen);
    out = Buffer.allocUnsafe(CHUNK);
    outLen = 0;
    const verdict = onData(chunk);
    if (verdict !== 'go') throw new Halt(verdict);
  };
  const output: ByteOutput = {
    writeByte(byte: number) {
      out[outLen++] = byte;
      if (outLen === CHUNK) flush();
    },
  };
  try {
    try {
      await decodeBlockByBlock(input, output);
      flush();
      return {};
    } catch (e) {
      if (e instanceof Halt) throw e;
      // What came out before the error is scanned too.
      flush();
      // Randomised blocks (bzip2 < 0.9.5): libbz2 still reads them, seek-bzip does not.
      const unsupported = (e as { errorCode?: number }).errorCode === Bunzip.Err.OBSOLETE_INPUT;
      return { error: e instanceof Error ? e.message : String(e), ...(unsupported ? { unsupported } : {}) };
    }
  } catch (e) {
    if (e instanceof Halt) return { halted: e.verdict };
    throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Bunzip.decode(input, output, true) with a turn of the event loop after each block: decode
 * runs synchronously (about 0.1 s per 900 kB block here), and the scanner shares its process
 * with the language server. The loop is seek-bzip 2.0.0's own (the version is pinned).
 */
async function decodeBlockByBlock(input: ByteInput, output: ByteOutput): Promise<void> {
  const bz = withZeroedNewBuffer(() => new Bunzip(input, output));
  for (;;) {
    if (input.eof()) return;
    const more = withZeroedNewBuffer(() => {
      if (bz._init_block()) {
        bz._read_bunzip();
        return true;
      }
      const targetStreamCRC = bz.reader.read(32) >>> 0;
      if (targetStreamCRC !== bz.streamCRC) throw new Error(`Data error: Bad stream CRC (got ${bz.streamCRC.toString(16)} expected ${targetStreamCRC.toString(16)})`);
      if (input.eof()) return false;
      // The next bzip2 stream, as BZ2File reads streams back to back.
      bz._start_bunzip(input, output);
      return true;
    });
    if (!more) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * seek-bzip allocates with `new Buffer(n)`, which Node flags as deprecated (DEP0005, printed on
 * the CLI's stderr) once it is bundled out of node_modules. While it runs (synchronously: no
 * other code runs meanwhile) the global Buffer is a proxy of itself whose `new` zero-fills.
 */
function withZeroedNewBuffer<T>(run: () => T): T {
  const globalBuffer = globalThis.Buffer;
  globalThis.Buffer = ZEROED_NEW_BUFFER;
  try {
    return run();
  } finally {
    globalThis.Buffer = globalBuffer;
  }
}

const ZEROED_NEW_BUFFER: typeof Buffer = new Proxy(Buffer, {
  construct: (_target, args: unknown[]) => (typeof args[0] === 'number' ? Buffer.alloc(args[0]) : Buffer.from(args[0] as Uint8Array)),
});

/** xz-embedded's return codes (xz.h) that xz-decompress reports as numbers; liblzma (Python's) reads what 2, 4 and 6 refuse. */
const XZ_UNSUPPORTED = new Set(['2', '4', '6']);
const XZ_ERRORS: Record<string, string> = {
  '2': 'an integrity check type the decoder does not support',
  '3': 'out of memory',
  '4': 'a dictionary larger than the decoder allows',
  '5': 'not xz data',
  '6': 'xz options the decoder does not support (such as a SHA-256 check or an unknown filter)',
  '7': 'corrupt xz data',
  '8': 'the xz data ends early or is followed by bytes that are no xz stream',
};

export async function unxzFile(file: string, onData: (chunk: Buffer) => Verdict): Promise<Decoded> {
  const fileStream = createReadStream(file);
  const source = Readable.toWeb(fileStream) as ReadableStream<Uint8Array>;
  // xz-decompress types its argument as the DOM's ReadableStream, which Node's is at run time.
  const reader = new XzReadableStream(source as unknown as ConstructorParameters<typeof XzReadableStream>[0]).getReader();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return {};
      }
      if (value.byteLength === 0) continue;
      const verdict = onData(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      if (verdict !== 'go') return { halted: verdict };
    }
  } catch (e) {
    ended = true;
    const message = e instanceof Error ? e.message : String(e);
    const code = /error code (\d+)/.exec(message)?.[1];
    if (!code || !XZ_ERRORS[code]) return { error: message };
    return { error: `${XZ_ERRORS[code]} (xz-embedded code ${code})`, ...(XZ_UNSUPPORTED.has(code) ? { unsupported: true } : {}) };
  } finally {
    // Cancelling frees the decoder: xz-decompress runs one at a time, and the next would wait forever.
    if (!ended) await reader.cancel().catch(() => undefined);
    // An errored decoder leaves its source unread: close the file.
    fileStream.destroy();
  }
}
