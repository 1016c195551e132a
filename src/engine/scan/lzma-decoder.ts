/**
 * A streaming decoder of the legacy ".lzma" ("LZMA alone") format that joblib's
 * compress='lzma' writes, written from the LZMA specification (Igor Pavlov's LzmaSpec):
 * range decoder, literal coder with matched literals, length and distance decoders, the
 * twelve-state machine and four repeat distances. No npm LZMA1 decoder could stop at a
 * cap or be bundled, so the scanner decodes it itself: output goes out in chunks to a
 * callback that may stop it (the counting cap), the dictionary is bounded, and the event
 * loop turns between chunks. Streams back to back are read one after another, as
 * Python's LZMAFile does.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Decoded, Verdict } from './stream-decoders';

/** xz-embedded's limit, and joblib's largest preset; Python reads larger ones, so those fail closed. */
export const MAX_LZMA_DICTIONARY = 64 * 1024 * 1024;
/** Compressed input is read whole: larger files are not decoded (fail closed). */
export const MAX_LZMA_INPUT = 256 * 1024 * 1024;
const HEADER = 13;
const CHUNK = 64 * 1024;

class LzmaError extends Error {}

class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  constructor(private readonly input: Uint8Array, public pos: number) {
    if (this.next() !== 0) throw new LzmaError('corrupt LZMA stream: the range coder does not start with a zero byte');
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.next()) >>> 0;
    if (this.code === this.range) throw new LzmaError('corrupt LZMA stream: bad range coder start');
  }
  private next(): number {
    if (this.pos >= this.input.length) throw new LzmaError('the LZMA stream is cut short');
    return this.input[this.pos++]!;
  }
  private normalize(): void {
    if (this.range < 0x1000000) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.next()) >>> 0;
    }
  }
  finishedOk(): boolean {
    return this.code === 0;
  }
  directBits(count: number): number {
    let result = 0;
    for (let i = 0; i < count; i++) {
      this.range >>>= 1;
      let bit = 1;
      if (this.code >= this.range) this.code = (this.code - this.range) >>> 0;
      else bit = 0;
      if (this.code === this.range) throw new LzmaError('corrupt LZMA stream');
      this.normalize();
      result = ((result << 1) | bit) >>> 0;
    }
    return result;
  }
  bit(probs: Uint16Array, i: number): number {
    const p = probs[i]!;
    const bound = (this.range >>> 11) * p;
    let bit: number;
    if (this.code < bound) {
      probs[i] = p + ((2048 - p) >>> 5);
      this.range = bound >>> 0;
      bit = 0;
    } else {
      probs[i] = p - (p >>> 5);
      this.code = (this.code - bound) >>> 0;
      this.range = (this.range - bound) >>> 0;
      bit = 1;
    }
    this.normalize();
    return bit;
  }
  tree(probs: Uint16Array, offset: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.bit(probs, offset + m);
    return m - (1 << bits);
  }
  reverseTree(probs: Uint16Array, offset: number, bits: number): number {
    let m = 1;
    let symbol = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(probs, offset + m);
      m = (m << 1) | b;
      symbol |= b << i;
    }
    return symbol;
  }
}

const probabilities = (n: number) => new Uint16Array(n).fill(1024);

class LengthDecoder {
  private readonly choice = probabilities(2);
  private readonly low: Uint16Array;
  private readonly mid: Uint16Array;
  private readonly high = probabilities(256);
  constructor(positionStates: number) {
    this.low = probabilities(positionStates << 3);
    this.mid = probabilities(positionStates << 3);
  }
  decode(rc: RangeDecoder, posState: number): number {
    if (rc.bit(this.choice, 0) === 0) return rc.tree(this.low, posState << 3, 3);
    if (rc.bit(this.choice, 1) === 0) return 8 + rc.tree(this.mid, posState << 3, 3);
    return 16 + rc.tree(this.high, 0, 8);
  }
}

/** The sliding dictionary, which is also where output bytes are gathered into chunks. */
class Window {
  readonly buf: Uint8Array;
  pos = 0;
  full = false;
  total = 0;
  private chunk = new Uint8Array(CHUNK);
  private filled = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  put(b: number): void {
    this.total++;
    this.buf[this.pos++] = b;
    if (this.pos === this.buf.length) (this.pos = 0), (this.full = true);
    this.chunk[this.filled++] = b;
  }
  byteAt(distance: number): number {
    return this.buf[distance <= this.pos ? this.pos - distance : this.buf.length - distance + this.pos]!;
  }
  reaches(distance: number): boolean {
    return distance <= this.pos || this.full;
  }
  get empty(): boolean {
    return this.pos === 0 && !this.full;
  }
  get chunkFull(): boolean {
    return this.filled >= CHUNK - 300;
  }
  takeChunk(): Buffer {
    const out = Buffer.from(this.chunk.subarray(0, this.filled));
    this.filled = 0;
    return out;
  }
}

interface Header {
  lc: number;
  lp: number;
  pb: number;
  dictionary: number;
  /** Undefined: unknown, an end marker ends the stream. */
  size?: number;
}

function readHeader(input: Uint8Array, at: number): Header {
  if (input.length - at < HEADER) throw new LzmaError('the LZMA header is cut short');
  let d = input[at]!;
  if (d >= 9 * 5 * 5) throw new LzmaError(`bad LZMA properties byte ${d}`);
  const lc = d % 9;
  d = (d / 9) | 0;
  const lp = d % 5;
  const pb = (d / 5) | 0;
  const view = new DataView(input.buffer, input.byteOffset + at, HEADER);
  const dictionary = Math.max(view.getUint32(1, true), 4096);
  const low = view.getUint32(5, true);
  const high = view.getUint32(9, true);
  const unknown = low === 0xffffffff && high === 0xffffffff;
  return { lc, lp, pb, dictionary, ...(unknown ? {} : { size: high * 2 ** 32 + low }) };
}

/** Decodes one stream starting at `at`; returns where its compressed bytes end, or how the caller stopped it. */
async function decodeStream(input: Uint8Array, at: number, onData: (chunk: Buffer) => Verdict): Promise<{ end: number } | { halted: 'stop' | 'cap' }> {
  const h = readHeader(input, at);
  if (h.dictionary > MAX_LZMA_DICTIONARY) throw new UnsupportedLzma(`an LZMA dictionary of ${h.dictionary} bytes (the scanner decodes up to ${MAX_LZMA_DICTIONARY})`);
  const { lc, lp, pb } = h;
  const window = new Window(h.size !== undefined ? Math.max(4096, Math.min(h.dictionary, h.size)) : h.dictionary);
  const rc = new RangeDecoder(input, at + HEADER);
  const literals = probabilities(0x300 << (lc + lp));
  const isMatch = probabilities(12 << 4);
  const isRep = probabilities(12);
  const isRepG0 = probabilities(12);
  const isRepG1 = probabilities(12);
  const isRepG2 = probabilities(12);
  const isRep0Long = probabilities(12 << 4);
  const posSlot = probabilities(4 << 6);
  const posDecoders = probabilities(115);
  const align = probabilities(16);
  const lengths = new LengthDecoder(1 << pb);
  const repLengths = new LengthDecoder(1 << pb);
  const pbMask = (1 << pb) - 1;
  const lpMask = (1 << lp) - 1;
  let state = 0;
  let rep0 = 0, rep1 = 0, rep2 = 0, rep3 = 0;
  let remaining = h.size ?? Infinity;

  const flush = async (): Promise<'go' | 'stop' | 'cap'> => {
    const verdict = onData(window.takeChunk());
    // Let the event loop turn between chunks: a large file must not freeze the server.
    if (verdict === 'go') await new Promise((r) => setImmediate(r));
    return verdict;
  };
  const distance = (length: number): number => {
    const slot = rc.tree(posSlot, Math.min(length, 3) << 6, 6);
    if (slot < 4) return slot;
    const direct = (slot >>> 1) - 1;
    let dist = ((2 | (slot & 1)) << direct) >>> 0;
    if (slot < 14) return (dist + rc.reverseTree(posDecoders, dist - slot, direct)) >>> 0;
    dist = (dist + ((rc.directBits(direct - 4) << 4) >>> 0)) >>> 0;
    return (dist + rc.reverseTree(align, 0, 4)) >>> 0;
  };

  for (;;) {
    if (window.chunkFull) {
      const verdict = await flush();
      if (verdict !== 'go') return { halted: verdict };
    }
    if (remaining === 0 && rc.finishedOk()) break;
    const posState = window.total & pbMask;
    if (rc.bit(isMatch, (state << 4) + posState) === 0) {
      if (remaining === 0) throw new LzmaError('the LZMA stream holds more data than its header declares');
      const prev = window.empty ? 0 : window.byteAt(1);
      const base = 0x300 * (((window.total & lpMask) << lc) + (prev >>> (8 - lc)));
      let symbol = 1;
      if (state >= 7) {
        let match = window.byteAt(rep0 + 1);
        do {
          const matchBit = (match >>> 7) & 1;
          match <<= 1;
          const b = rc.bit(literals, base + ((1 + matchBit) << 8) + symbol);
          symbol = (symbol << 1) | b;
          if (matchBit !== b) break;
        } while (symbol < 0x100);
      }
      while (symbol < 0x100) symbol = (symbol << 1) | rc.bit(literals, base + symbol);
      window.put(symbol - 0x100);
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      remaining--;
      continue;
    }
    let length: number;
    if (rc.bit(isRep, state) !== 0) {
      if (remaining === 0 || window.empty) throw new LzmaError('corrupt LZMA stream: a repeated match with nothing to repeat');
      if (rc.bit(isRepG0, state) === 0) {
        if (rc.bit(isRep0Long, (state << 4) + posState) === 0) {
          state = state < 7 ? 9 : 11;
          window.put(window.byteAt(rep0 + 1));
          remaining--;
          continue;
        }
      } else {
        let dist: number;
        if (rc.bit(isRepG1, state) === 0) dist = rep1;
        else {
          if (rc.bit(isRepG2, state) === 0) dist = rep2;
          else (dist = rep3), (rep3 = rep2);
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      length = repLengths.decode(rc, posState);
      state = state < 7 ? 8 : 11;
    } else {
      rep3 = rep2;
      rep2 = rep1;
      rep1 = rep0;
      length = lengths.decode(rc, posState);
      state = state < 7 ? 7 : 10;
      rep0 = distance(length);
      if (rep0 === 0xffffffff) {
        if (!rc.finishedOk()) throw new LzmaError('corrupt LZMA stream after its end marker');
        break;
      }
      if (remaining === 0) throw new LzmaError('the LZMA stream holds more data than its header declares');
      if (rep0 >= window.buf.length || !window.reaches(rep0)) throw new LzmaError('corrupt LZMA stream: a match reaches before the start of the data');
    }
    length += 2;
    const cut = remaining < length;
    if (cut) length = remaining;
    for (let i = 0; i < length; i++) window.put(window.byteAt(rep0 + 1));
    remaining -= length;
    if (cut) throw new LzmaError('the LZMA stream holds more data than its header declares');
  }
  const verdict = onData(window.takeChunk());
  if (verdict !== 'go') return { halted: verdict };
  return { end: rc.pos };
}

class UnsupportedLzma extends Error {}

/** Decodes a .lzma file (streams back to back) into `onData`, which counts and may stop it. */
export async function unlzmaFile(file: string, onData: (chunk: Buffer) => Verdict): Promise<Decoded> {
  const size = (await stat(file)).size;
  if (size > MAX_LZMA_INPUT) return { error: `an LZMA file of ${size} bytes (the scanner decodes up to ${MAX_LZMA_INPUT})`, unsupported: true };
  const input = new Uint8Array(await readFile(file));
  let at = 0;
  try {
    for (;;) {
      const decoded = await decodeStream(input, at, onData);
      if ('halted' in decoded) return decoded;
      at = decoded.end;
      if (at >= input.length) return {};
    }
  } catch (e) {
    if (e instanceof UnsupportedLzma) return { error: e.message, unsupported: true };
    if (e instanceof LzmaError) return { error: e.message };
    throw e;
  }
}
