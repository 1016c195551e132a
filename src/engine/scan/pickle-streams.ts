/**
 * A file (or archive member) that holds pickles one after another: a plain pickle, a
 * joblib stream, a legacy PyTorch file (five pickles, then raw storage bytes). Each stream
 * is disassembled to its STOP; another is scanned only when the next bytes start with a
 * protocol 2+ header, so trailing array or storage data is never read as opcodes.
 */
import type { Finding } from '../report/schema';
import { finding } from './finding-builders';
import { MAX_PICKLE_SCAN_BYTES, scanPickle, type PickleProblem } from './pickle-scanner';
import type { ScannedImport } from './types';

/** More streams than a legacy torch file has, few enough to bound the work. */
const MAX_STREAMS = 64;

/** torch.save's legacy format starts with a pickled magic number (LONG1 0x1950a86a20f9469cfc6c). */
const LEGACY_TORCH_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

export interface StreamsScan {
  imports: ScannedImport[];
  streams: number;
  findings: Finding[];
  /** Offset after the last complete stream. */
  end: number;
  legacyTorch: boolean;
}

export function isLegacyTorch(bytes: Uint8Array): boolean {
  return LEGACY_TORCH_MAGIC.every((b, i) => bytes[i] === b);
}

/** A protocol 2-5 header: how every pickle Python 3 writes by default starts. */
export function hasProtocolHeader(bytes: Uint8Array, at = 0): boolean {
  return bytes.length > at + 1 && bytes[at] === 0x80 && bytes[at + 1] >= 2 && bytes[at + 1] <= 5;
}

/**
 * `fileCapped` says `bytes` is only the start of a longer file (read up to the scan cap).
 * Offsets in findings are positions in `bytes` plus `base` (where `bytes` starts in the file).
 */
export function scanPickleStreams(file: string, bytes: Uint8Array, opts: { member?: string; fileCapped?: boolean; base?: number } = {}): StreamsScan {
  const base = opts.base ?? 0;
  const out: StreamsScan = { imports: [], streams: 0, findings: [], end: 0, legacyTorch: isLegacyTorch(bytes) };
  const where = (offset: number) => `byte ${offset + base}${opts.member !== undefined ? ` of member "${opts.member}"` : ''}`;
  let at = 0;
  while (out.streams < MAX_STREAMS) {
    const scan = scanPickle(bytes, at, { maxBytes: MAX_PICKLE_SCAN_BYTES });
    out.streams++;
    for (const imp of scan.imports) {
      out.imports.push({ module: imp.module, name: imp.name, offset: imp.offset + base, kind: imp.kind, ...(opts.member !== undefined ? { member: opts.member } : {}) });
    }
    for (const u of scan.unresolved) {
      out.findings.push(finding(file, 'unsafe-artifact', 'medium', `${u.opcode} at ${where(u.offset)}: ${u.reason}, so what it calls cannot be checked statically.`, {
        offset: u.offset + base, callable: `(${u.opcode})`, ...(opts.member !== undefined ? { member: opts.member } : {}),
      }));
    }
    if (scan.capped || (scan.problem?.kind === 'truncated' && opts.fileCapped)) {
      out.findings.push(finding(file, 'invalid-input', 'low', `scanned the first ${MAX_PICKLE_SCAN_BYTES} bytes of the pickle only (the scan's cap); anything after them was not checked.`));
      return out;
    }
    if (scan.problem) {
      out.findings.push(problemFinding(file, scan.problem, where, opts.member));
      return out;
    }
    at = scan.end!;
    out.end = at;
    if (!hasProtocolHeader(bytes, at)) return out;
  }
  return out;
}

function problemFinding(file: string, problem: PickleProblem, where: (offset: number) => string, member: string | undefined): Finding {
  const what = problem.kind === 'truncated' ? 'truncated pickle' : problem.kind === 'malformed' ? 'malformed pickle' : 'pickle not fully scannable';
  // Everything before the offset was checked; a broken stream cannot be vouched for beyond it.
  return finding(file, 'invalid-input', problem.kind === 'unscannable' ? 'medium' : 'high',
    `${what} at ${where(problem.offset)}: ${problem.message}. Opcodes before it were scanned; Python would fail to load it here.`,
    { offset: problem.offset, ...(member !== undefined ? { member } : {}) });
}
