/**
 * A file (or archive member) that holds pickles one after another: a plain pickle, a
 * joblib stream, a legacy PyTorch file (five pickles, then raw storage bytes), or pickles
 * written back to back and read by repeated pickle.load calls. Every stream is scanned, to
 * the end of the data: a stream may start with any opcode (no PROTO header is needed).
 *
 * Whether bytes are a pickle at all is decided as CPython would experience them: a stream
 * that ends with STOP is one; a stream that breaks before importing anything ran nothing,
 * so raw data that happens to start with an opcode byte is not reported. A stream that
 * breaks after an import, or any stream of a file that must be a pickle, is an error the
 * scanner cannot clear ('unverified-artifact'): fail closed.
 */
import type { Finding } from '../report/schema';
import { finding } from './finding-builders';
import { MAX_PICKLE_SCAN_BYTES, scanPickle, type PickleImport, type PickleProblem, type PickleScan } from './pickle-scanner';
import type { ScannedImport } from './types';

/** Streams followed at most (the work is bounded by the bytes anyway; a file of more is not verified). */
const MAX_STREAMS = 1 << 16;
/** torch's legacy format: magic number, protocol version, sys info, the object, storage keys. */
const LEGACY_TORCH_STREAMS = 5;

/** The legacy torch magic number 0x1950a86a20f9469cfc6c as a pickled LONG1 (any protocol). */
const LEGACY_TORCH_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export interface StreamsScan {
  imports: ScannedImport[];
  streams: number;
  findings: Finding[];
  /** Offset after the last complete stream. */
  end: number;
  legacyTorch: boolean;
}

export interface StreamsOptions {
  member?: string;
  /** `bytes` is only the start of a longer file (read up to the scan cap). */
  fileCapped?: boolean;
  /** Where `bytes` starts in the file: offsets in findings are positions in `bytes` plus this. */
  base?: number;
  /**
   * 'pickle': the data is read as a pickle by whatever loads it (a .pkl, a data.pkl member,
   * an object array): a first stream the scanner cannot finish is an error. 'sniff': the
   * data may be anything (a .bin, a .dat); only what parses as a pickle is reported.
   */
  mode?: 'pickle' | 'sniff';
}

/** The first stream is torch's pickled magic number (protocol header optional). */
export function isLegacyTorch(bytes: Uint8Array): boolean {
  const limit = Math.min(bytes.length, 24);
  outer: for (let i = 0; i + LEGACY_TORCH_MAGIC.length <= limit; i++) {
    for (let j = 0; j < LEGACY_TORCH_MAGIC.length; j++) if (bytes[i + j] !== LEGACY_TORCH_MAGIC[j]) continue outer;
    return true;
  }
  return false;
}

/** A protocol 2-5 header: how every pickle Python 3 writes by default starts. */
export function hasProtocolHeader(bytes: Uint8Array, at = 0): boolean {
  return bytes.length > at + 1 && bytes[at] === 0x80 && bytes[at + 1] >= 2 && bytes[at + 1] <= 5;
}

/** Import names a real file could hold: printable ASCII without spaces (raw data rarely makes two such lines). */
const PLAUSIBLE_NAME = /^[\x21-\x7e]+$/;

function plausible(scan: PickleScan): boolean {
  return scan.unresolved.length > 0 || scan.imports.some((i: PickleImport) => {
    const w = i.written ?? i;
    return PLAUSIBLE_NAME.test(w.module) && PLAUSIBLE_NAME.test(w.name);
  });
}

export function scanPickleStreams(file: string, bytes: Uint8Array, opts: StreamsOptions = {}): StreamsScan {
  const base = opts.base ?? 0;
  const member: Record<string, string> = opts.member !== undefined ? { member: opts.member } : {};
  const out: StreamsScan = { imports: [], streams: 0, findings: [], end: 0, legacyTorch: false };
  const where = (offset: number) => `byte ${offset + base}${opts.member !== undefined ? ` of member "${opts.member}"` : ''}`;
  const unverified = (message: string, offset: number) =>
    out.findings.push(finding(file, 'unverified-artifact', 'high', message, { offset: offset + base, ...member }));
  let at = 0;
  for (let index = 0; at < bytes.length; index++) {
    if (index >= (out.legacyTorch ? LEGACY_TORCH_STREAMS : MAX_STREAMS)) {
      if (!out.legacyTorch) unverified(`more than ${MAX_STREAMS} pickle streams; those after ${where(at)} were not checked.`, at);
      return out;
    }
    const scan = scanPickle(bytes, at, { maxBytes: MAX_PICKLE_SCAN_BYTES });
    // A stream is the loader's (and so ours to report) when it must be a pickle, completes, or reached an import.
    const mustBePickle = (index === 0 && opts.mode !== 'sniff') || (out.legacyTorch && index < LEGACY_TORCH_STREAMS);
    // Data that ran out before the stream ended (the read or scan cap) is not known to be harmless.
    // So did a scan that stopped at one of the scanner's own limits ('unscannable'): CPython reads on.
    const ranOut = scan.capped || scan.problem?.kind === 'unscannable' || (scan.problem?.kind === 'truncated' && opts.fileCapped === true);
    if (!mustBePickle && scan.end === undefined && !plausible(scan) && !ranOut) return out;
    if (index === 0) out.legacyTorch = scan.end !== undefined && scan.imports.length === 0 && isLegacyTorch(bytes.subarray(at, scan.end));
    out.streams++;
    for (const imp of scan.imports) {
      out.imports.push({ module: imp.module, name: imp.name, offset: imp.offset + base, kind: imp.kind, ...member, ...(imp.written ? { written: imp.written } : {}) });
    }
    for (const u of scan.unresolved) {
      if (u.code !== undefined) {
        out.findings.push(finding(file, 'unsafe-artifact', 'high', `${u.opcode} at ${where(u.offset)}: ${u.reason}; what it calls cannot be checked statically, and unpickling would call it. Do not load it.`, {
          offset: u.offset + base, callable: `copyreg extension code ${u.code}`, ...member,
        }));
      } else if (u.target !== undefined) {
        out.findings.push(finding(file, 'unsafe-artifact', 'high', `${u.opcode} at ${where(u.offset)} ${u.reason}: no model pickle does this, and it changes code every later import sees. Do not load it.`, {
          offset: u.offset + base, callable: u.target, ...member,
        }));
      } else {
        unverified(`${u.opcode} at ${where(u.offset)}: ${u.reason}, so what it calls cannot be checked statically; the file could not be verified.`, u.offset);
      }
    }
    if (scan.capped) {
      unverified(`the pickle at ${where(at)} is longer than the scanner's ${MAX_PICKLE_SCAN_BYTES}-byte cap; what follows the cap was not checked, so the file could not be verified.`, at);
      return out;
    }
    if (scan.problem) {
      if (scan.problem.kind === 'truncated' && opts.fileCapped) {
        unverified(`the file is longer than the scanner reads (${bytes.length} bytes); the pickle at ${where(at)} continues past that, so it could not be verified.`, at);
      } else if (scan.imports.length === 0 && scan.unresolved.length === 0 && scan.problem.kind !== 'unscannable') {
        // CPython fails here too, before importing anything: nothing in this stream can run.
        out.findings.push(finding(file, 'invalid-input', 'high', `${problemText(scan.problem, where)}. Python would fail to load it there, before any import.`, { offset: scan.problem.offset + base, ...member }));
      } else {
        out.findings.push(finding(file, 'unverified-artifact', 'high', `${problemText(scan.problem, where)}. Opcodes before it were scanned; the rest could not be verified.`, { offset: scan.problem.offset + base, ...member }));
      }
      return out;
    }
    at = scan.end!;
    out.end = at;
  }
  return out;
}

function problemText(problem: PickleProblem, where: (offset: number) => string): string {
  const what = problem.kind === 'truncated' ? 'truncated pickle' : problem.kind === 'malformed' ? 'malformed pickle' : 'pickle not fully scannable';
  return `${what} at ${where(problem.offset)}: ${problem.message}`;
}
