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
/** The argument may be valid for CPython but is beyond what the scanner reads (a limit or an ambiguity): not verifiable. */
export class ScanLimit extends Error {}

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
/** Appended to a string cut at MAX_KEPT_CHARS. */
const CUT = '\u2026(cut)';

export interface ReadArg {
  value: ArgValue;
  /** Position after the argument. */
  next: number;
}

/** `opcode` matters for INT only, whose text CPython reads with base 0 (0x10 is 16). */
export function readArgument(bytes: Uint8Array, view: DataView, pos: number, end: number, kind: ArgKind, opcode?: string): ReadArg {
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
      const digits = kind === 'decimalnl_long' ? text.trim().replace(/L$/, '') : text;
      return { value: { type: 'int', value: smallest(pythonInt(digits, opcode === 'INT')) }, next };
    }
    case 'floatnl': {
      const { text, next } = line(bytes, pos, end);
      const value = Number(text);
      // A float's value never decides an import; Python's float() accepts more spellings than Number
      // (inf, 1_0.5), so an unreadable one is not taken as a reason CPython would stop.
      return { value: { type: 'float', value }, next };
    }
    case 'stringnl': {
      // CPython strips only the newline, then requires matching outer quotes.
      const { text, next } = line(bytes, pos, end, 'latin1');
      const quote = text[0];
      if ((quote !== "'" && quote !== '"') || text.length < 2 || text[text.length - 1] !== quote) {
        throw new MalformedPickle(`STRING argument is not a quoted string: ${JSON.stringify(text.slice(0, 40))}`);
      }
      return { value: { type: 'str', value: escapeDecode(text.slice(1, -1)) }, next };
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
  const cut = n > kept || text.length > MAX_KEPT_CHARS;
  return { value: { type: 'str', value: cut ? `${text.slice(0, MAX_KEPT_CHARS)}${CUT}` : text }, next };
}

function line(bytes: Uint8Array, pos: number, end: number, encoding: BufferEncoding = 'utf8'): { text: string; next: number } {
  const limit = Math.min(end, pos + MAX_LINE);
  const nl = bytes.indexOf(0x0a, pos);
  if (nl < 0 || nl >= limit) {
    if (limit < end) throw new ScanLimit(`no line break within ${MAX_LINE} bytes (Python reads on; the scanner does not)`);
    throw new TruncatedPickle('a newline-terminated argument has no newline before the end');
  }
  const cut = nl - pos > MAX_KEPT_CHARS;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + pos, Math.min(nl - pos, MAX_KEPT_CHARS)).toString(encoding);
  // A cut text gets a mark no name contains, so it can never equal an allowed name.
  return { text: cut ? `${text}${CUT}` : text, next: nl + 1 };
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

/**
 * Python's int(text) (PUT/GET/LONG, base 10: whitespace, sign, underscores between digits)
 * or, for INT, int(text, 0) (0x/0o/0b prefixes). A leading zero before digits is 8 in C's
 * strtol but an error in pickle.py, so it is refused rather than guessed.
 */
function pythonInt(raw: string, base0: boolean): bigint {
  const text = raw.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '');
  const m = /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|\d(?:_?\d)*)$/.exec(text);
  if (!m || (!base0 && /^0[xXoObB]/.test(m[2]))) {
    throw new MalformedPickle(`expected a decimal integer, found ${JSON.stringify(raw.slice(0, 40))}`);
  }
  if (base0 && /^0_?\d/.test(m[2]) && /[1-9]/.test(m[2])) throw new ScanLimit(`INT ${JSON.stringify(raw.slice(0, 40))} is octal to the C unpickler and an error to pickle.py`);
  const value = BigInt(m[2].replace(/_/g, ''));
  return m[1] === '-' ? -value : value;
}

/** codecs.escape_decode, which STRING arguments go through: every Python bytes-literal escape. */
function escapeDecode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i + 1 >= text.length) {
      if (c === '\\') throw new MalformedPickle('STRING argument ends with a lone backslash');
      out += c;
      continue;
    }
    const e = text[++i];
    const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };
    if (e in simple) {
      out += simple[e];
    } else if (e >= '0' && e <= '7') {
      let digits = e;
      while (digits.length < 3 && /[0-7]/.test(text[i + 1] ?? '')) digits += text[++i];
      out += String.fromCharCode(parseInt(digits, 8) & 0xff);
    } else if (e === 'x') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new MalformedPickle('STRING argument has an invalid \\x escape');
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else {
      out += `\\${e}`;
    }
  }
  return out;
}

/** raw-unicode-escape: \\uXXXX and \\UXXXXXXXX are escapes only after an odd run of backslashes. */
function rawUnicodeEscape(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '\\') {
      out += text[i++];
      continue;
    }
    let run = 0;
    while (text[i + run] === '\\') run++;
    const next = text[i + run];
    if (run % 2 === 1 && (next === 'u' || next === 'U')) {
      out += '\\'.repeat(run - 1);
      const width = next === 'u' ? 4 : 8;
      const hex = text.slice(i + run + 1, i + run + 1 + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new MalformedPickle(`UNICODE argument has a truncated \\${next} escape`);
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw new MalformedPickle('UNICODE argument escapes a code point above U+10FFFF');
      out += String.fromCodePoint(code);
      i += run + 1 + width;
    } else {
      out += '\\'.repeat(run);
      i += run;
    }
  }
  return out;
}
