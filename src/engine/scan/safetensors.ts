/**
 * safetensors validation from the header alone: an 8-byte little-endian header length,
 * a JSON header naming each tensor's dtype, shape and byte range, then the raw data. The
 * format cannot run code; what can go wrong is a header that lies (ranges out of bounds or
 * overlapping, unknown dtypes, lengths that do not match shapes), which loaders trust.
 * Only the header is read: the data section is checked against the file size.
 */
import type { Finding } from '../report/schema';
import { finding } from './finding-builders';
import type { SafetensorsSummary, SafetensorsTensor } from './types';

/** The reference implementation refuses headers over 100 MB; so do we, before reading them. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

/** Bytes per element of every dtype the format defines with a whole-byte size. */
export const SAFETENSORS_DTYPES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8, C64: 8,
};

export interface SafetensorsCheck {
  summary?: SafetensorsSummary;
  parameterCount?: number;
  findings: Finding[];
}

/** `head` holds at least the first 8 + header-length bytes when the file is that long; `fileSize` is the whole file's. */
export function headerLength(head: Uint8Array): number | undefined {
  if (head.length < 8) return undefined;
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

export function checkSafetensors(file: string, head: Uint8Array, fileSize: number): SafetensorsCheck {
  const problems: Finding[] = [];
  const bad = (message: string, data?: Finding['data']) => problems.push(finding(file, 'invalid-input', 'high', message, data));
  const n = headerLength(head);
  if (n === undefined) {
    bad(`not a safetensors file: it has ${fileSize} bytes, fewer than the 8-byte header length`);
    return { findings: problems };
  }
  if (n > MAX_SAFETENSORS_HEADER) {
    bad(`safetensors header declares ${n} bytes; headers over ${MAX_SAFETENSORS_HEADER} bytes are refused unread`, { offset: 0 });
    return { findings: problems };
  }
  if (8 + n > fileSize || 8 + n > head.length) {
    bad(`truncated safetensors header: it declares ${n} bytes but the file has ${fileSize - 8} after the length`, { offset: 8 });
    return { findings: problems };
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(head.buffer, head.byteOffset + 8, n).toString('utf8'));
  } catch (e) {
    bad(`safetensors header is not valid JSON: ${(e as Error).message}`, { offset: 8 });
    return { findings: problems };
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    bad('safetensors header must be a JSON object of tensor names', { offset: 8 });
    return { findings: problems };
  }

  const dataLength = fileSize - 8 - n;
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsTensor[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        bad('"__metadata__" must be an object of strings');
        continue;
      }
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v === 'string') metadata[k] = v;
        else bad(`"__metadata__"."${k}" must be a string, found ${JSON.stringify(v)}`);
      }
      continue;
    }
    const tensor = checkTensor(name, entry, dataLength, bad);
    if (tensor) tensors.push(tensor);
  }

  // Ranges must tile the data section exactly: no overlaps, no holes, nothing after the last.
  const sorted = [...tensors].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  // A tensor left out as invalid leaves a hole that is not a problem of its own.
  const someInvalid = problems.length > 0;
  let covered = 0;
  let previous: SafetensorsTensor | undefined;
  for (const t of sorted) {
    const [begin, end] = t.dataOffsets;
    if (previous && begin < covered) {
      bad(`tensor "${t.name}" bytes [${begin}, ${end}) overlap tensor "${previous.name}" bytes [${previous.dataOffsets[0]}, ${previous.dataOffsets[1]})`, { tensor: t.name });
    } else if (begin > covered && !someInvalid) {
      problems.push(finding(file, 'invalid-input', 'medium', `safetensors data has a hole: bytes [${covered}, ${begin}) belong to no tensor`, { tensor: t.name }));
    }
    covered = Math.max(covered, end);
    previous = t;
  }
  if (problems.length === 0 && covered !== dataLength) {
    problems.push(finding(file, 'invalid-input', 'medium', `safetensors data section has ${dataLength} bytes but the tensors cover ${covered}`));
  }
  const parameterCount = tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
  return { summary: { headerBytes: n, tensors, metadata }, parameterCount, findings: problems };
}

function checkTensor(name: string, entry: unknown, dataLength: number, bad: (message: string, data?: Finding['data']) => void): SafetensorsTensor | undefined {
  const at = `tensor "${name}"`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    bad(`${at}: expected an object with dtype, shape and data_offsets`, { tensor: name });
    return undefined;
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  let ok = true;
  if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPES)) {
    bad(`${at}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`, { tensor: name });
    ok = false;
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    bad(`${at}: shape must be a list of non-negative integers, found ${JSON.stringify(shape)}`, { tensor: name });
    ok = false;
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || offsets[0] > offsets[1]) {
    bad(`${at}: data_offsets must be [begin, end] with 0 <= begin <= end, found ${JSON.stringify(offsets)}`, { tensor: name });
    return undefined;
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    bad(`${at}: data_offsets [${begin}, ${end}) run past the data section, which has ${dataLength} bytes`, { tensor: name, offset: end });
    ok = false;
  }
  if (ok) {
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * SAFETENSORS_DTYPES[dtype as string];
    if (expected !== end - begin) {
      bad(`${at}: shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`, { tensor: name });
      ok = false;
    }
  }
  return ok ? { name, dtype: dtype as string, shape: shape as number[], dataOffsets: [begin, end] } : undefined;
}
