/**
 * Reads one opcode argument at a position of a pickle, by its encoding. Never allocates
 * more than the bytes present: a length that runs past the end is a TruncatedPickle, so a
 * hostile length field cannot make us allocate or loop.
 */
import type { ArgKind } from './pickle-opcodes';

/** The argument ran past the end of the data. */
export class TruncatedPickle extends Error {}
/** The argument is present but not valid for its encoding. */
export class MalformedPickle extends Error {}

/** Decoded argument: strings decoded, small integers as numbers, byte strings by length only. */
export type ArgValue =
  | { type: 'none' }
  | { type: 'int'; value: number | bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'float'; value: number }
  | { type: 'str'; value: string }
  | { type: 'bytes'; length: number }
  | { type: 'pair'; first: string; second: string };

/** Text kept of a string argument; longer strings are cut (module and class names are short). */
const MAX_KEPT_CHARS = 4096;
/** A newline-terminated argument longer than this is not something pickle writes. */
const MAX_LINE = 1 << 20;

const NONE: ArgValue = { type: 'none' };

export interface ReadArg {
  value: ArgValue;
  /** Position after the argument. */
  next: number;
}

export function readArgument(bytes: Uint8Array, view: DataView, pos: number, end: number, kind: ArgKind): ReadArg {
  switch (kind) {
    case 'none':
      return { value: NONE, next: pos };
    case 'uint1':
      need(pos, end, 1, kind);
      return { value: { type: 'int', value: bytes[pos] }, next: pos + 1 };
    case 'uint2':
      need(pos, end, 2, kind);
      return { value: { type: 'int', value: view.getUint16(pos, true) }, next: pos + 2 };
    case 'int4':
      need(pos, end, 4, kind);
      return { value: { type: 'int', value: view.getInt32(pos, true) }, next: pos + 4 };
    case 'uint4':
      need(pos, end, 4, kind);
      return { value: { type: 'int', value: view.getUint32(pos, true) }, next: pos + 4 };
    case 'uint8': {
      need(pos, end, 8, kind);
      return { value: { type: 'int', value: smallest(view.getBigUint64(pos, true)) }, next: pos + 8 };
    }
    case 'float8':
      need(pos, end, 8, kind);
      return { value: { type: 'float', value: view.getFloat64(pos, false) }, next: pos + 8 };
    case 'long1':
    case 'long4': {
      const width = kind === 'long1' ? 1 : 4;
      need(pos, end, width, kind);
      const n = kind === 'long1' ? bytes[pos] : view.getInt32(pos, true);
      if (n < 0) throw new MalformedPickle(`LONG4 byte count is negative (${n})`);
      const start = pos + width;
      if (start + n > end) throw new TruncatedPickle(`the integer needs ${n} bytes but ${end - start} remain`);
      return { value: { type: 'int', value: littleEndianSigned(bytes, start, n) }, next: start + n };
    }
    case 'string1':
    case 'bytes1':
    case 'unicodestring1':
      need(pos, end, 1, kind);
      return counted(bytes, pos + 1, end, bytes[pos], kind);
    case 'string4': {
      need(pos, end, 4, kind);
      const n = view.getInt32(pos, true);
      if (n < 0) throw new MalformedPickle(`BINSTRING length is negative (${n})`);
      return counted(bytes, pos + 4, end, n, kind);
    }
    case 'bytes4':
    case 'unicodestring4':
      need(pos, end, 4, kind);
      return counted(bytes, pos + 4, end, view.getUint32(pos, true), kind);
    case 'bytes8':
    case 'bytearray8':
    case 'unicodestring8': {
      need(pos, end, 8, kind);
      const n = view.getBigUint64(pos, true);
      if (n > BigInt(end - pos - 8)) throw new TruncatedPickle(`the ${kind} argument declares ${n} bytes but ${end - pos - 8} remain`);
      return counted(bytes, pos + 8, end, Number(n), kind);
    }
    case 'decimalnl_short':
    case 'decimalnl_long': {
      const { text, next } = line(bytes, pos, end);
      if (kind === 'decimalnl_short' && (text === '00' || text === '01')) return { value: { type: 'bool', value: text === '01' }, next };
      const digits = kind === 'decimalnl_long' ? text.replace(/L$/, '') : text;
      if (!/^[+-]?\d+$/.test(digits)) throw new MalformedPickle(`expected a decimal integer, found ${JSON.stringify(text.slice(0, 40))}`);
      return { value: { type: 'int', value: smallest(BigInt(digits)) }, next };
    }
    case 'floatnl': {
      const { text, next } = line(bytes, pos, end);
      const value = Number(text);
      if (Number.isNaN(value) && !/^[+-]?nan$/i.test(text.trim())) throw new MalformedPickle(`expected a float, found ${JSON.stringify(text.slice(0, 40))}`);
      return { value: { type: 'float', value }, next };
    }
    case 'stringnl': {
      const { text, next } = line(bytes, pos, end);
      const quote = text[0];
      if ((quote !== "'" && quote !== '"') || text.length < 2 || text[text.length - 1] !== quote) {
        throw new MalformedPickle(`STRING argument is not a quoted string: ${JSON.stringify(text.slice(0, 40))}`);
      }
      return { value: { type: 'str', value: unescapePython(text.slice(1, -1)) }, next };
    }
    case 'stringnl_noescape': {
      const { text, next } = line(bytes, pos, end);
      return { value: { type: 'str', value: text }, next };
    }
    case 'stringnl_noescape_pair': {
      const first = line(bytes, pos, end);
      const second = line(bytes, first.next, end);
      return { value: { type: 'pair', first: first.text, second: second.text }, next: second.next };
    }
    case 'unicodestringnl': {
      const { text, next } = line(bytes, pos, end, 'latin1');
      return { value: { type: 'str', value: rawUnicodeEscape(text) }, next };
    }
  }
}

function need(pos: number, end: number, n: number, kind: ArgKind): void {
  if (pos + n > end) throw new TruncatedPickle(`the ${kind} argument needs ${n} bytes but ${end - pos} remain`);
}

function counted(bytes: Uint8Array, start: number, end: number, n: number, kind: ArgKind): ReadArg {
  if (start + n > end) throw new TruncatedPickle(`the ${kind} argument declares ${n} bytes but ${end - start} remain`);
  const next = start + n;
  if (kind.startsWith('bytes') || kind === 'bytearray8') return { value: { type: 'bytes', length: n }, next };
  const kept = Math.min(n, MAX_KEPT_CHARS * 4);
  // Protocol 1-3 STRINGs are Python 2 str (bytes): decoded as latin1, as pickle's default encoding="ASCII" errors aside.
  const encoding = kind.startsWith('unicode') ? 'utf8' : 'latin1';
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, kept).toString(encoding);
  return { value: { type: 'str', value: text.slice(0, MAX_KEPT_CHARS) }, next };
}

function line(bytes: Uint8Array, pos: number, end: number, encoding: BufferEncoding = 'utf8'): { text: string; next: number } {
  const limit = Math.min(end, pos + MAX_LINE);
  const nl = bytes.indexOf(0x0a, pos);
  if (nl < 0 || nl >= limit) {
    if (limit < end) throw new MalformedPickle(`no line break within ${MAX_LINE} bytes`);
    throw new TruncatedPickle('a newline-terminated argument has no newline before the end');
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + pos, Math.min(nl - pos, MAX_KEPT_CHARS)).toString(encoding);
  return { text: text.replace(/\r$/, ''), next: nl + 1 };
}

function smallest(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Two's-complement little-endian integer of n bytes (LONG1/LONG4); huge ones are kept only up to 64 bytes. */
function littleEndianSigned(bytes: Uint8Array, start: number, n: number): number | bigint {
  if (n === 0) return 0;
  const width = Math.min(n, 64);
  let value = 0n;
  for (let i = width - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[start + i]);
  if (width === n && bytes[start + n - 1] & 0x80) value -= 1n << BigInt(8 * n);
  return smallest(value);
}

/** Python string-literal escapes, enough for names (\\, \', \", \n, \t, \xNN). */
function unescapePython(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[\\'"ntr0])/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[e] ?? e;
  });
}

function rawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u?: string, U?: string) => String.fromCodePoint(parseInt((u ?? U)!, 16)));
}
