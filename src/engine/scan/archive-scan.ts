/**
 * Zip containers: PyTorch checkpoints (`<name>/data.pkl` plus raw storages), NPZ archives
 * (object arrays inside are pickles), Keras 3 `.keras` files (config.json) and any other
 * zip. Members are judged by content, not name: every entry (duplicates too) that starts
 * like an NPY array has its header read, every `.pkl` entry is scanned as a pickle, and
 * every other entry is sniffed for one. A member that could not be read is an error.
 */
import type { Finding } from '../report/schema';
import { finding } from './finding-builders';
import { findLambdaLayers, lambdaFindings } from './keras-lambda';
import { isNpy, readNpyHeader } from './npy-header';
import { scanPickleStreams } from './pickle-streams';
import type { ArtifactFormat, ScannedImport } from './types';
import { listZip, MAX_INFLATED_BYTES, MAX_MEMBER_BYTES, peekMember, unpackMember, type ZipMember } from './zip-archive';
import { mayHoldPickle, SNIFF_BYTES } from './sniff';

export interface ArchiveScan {
  format: ArtifactFormat;
  pickleBased: boolean;
  imports: ScannedImport[];
  findings: Finding[];
  pickles: number;
  bytesScanned: number;
  lambdaLayers?: string[];
}

export type ArchiveKind = 'keras' | 'npz' | 'pickle-zip';

const PICKLE_MEMBER = /\.pkl$/i;
const TORCH_DATA = /(^|\/)data\.pkl$/;

export function scanArchive(file: string, bytes: Uint8Array, kind: ArchiveKind, caps = { member: MAX_MEMBER_BYTES, total: MAX_INFLATED_BYTES }): ArchiveScan {
  const out: ArchiveScan = { format: kind === 'keras' ? 'keras' : kind === 'npz' ? 'npz' : 'zip', pickleBased: false, imports: [], findings: [], pickles: 0, bytesScanned: bytes.length };
  let members: ZipMember[];
  try {
    members = listZip(bytes);
  } catch (e) {
    out.findings.push(finding(file, 'unverified-artifact', 'high', `starts like a zip archive but its directory cannot be read (${(e as Error).message}); what a loader would take from it could not be verified.`));
    return out;
  }
  if (members.some((m) => TORCH_DATA.test(m.name))) out.format = 'pytorch-zip';
  else if (kind === 'pickle-zip' && members.length > 0 && members.every((m) => /\.npy$/i.test(m.name))) out.format = 'npz';

  let inflated = 0;
  let configText: Uint8Array | undefined;
  for (const m of members) {
    const isPickleName = PICKLE_MEMBER.test(m.name);
    if (isPickleName) out.pickleBased = true;
    if (!isPickleName && !(kind === 'keras' && m.name === 'config.json') && !worthInflating(bytes, m)) continue;
    const data = unpackMember(bytes, m, Math.min(caps.member, caps.total - inflated));
    if (!data.ok) {
      // A member that may be a pickle or an array, and could not be looked into, may hold anything.
      const lenient = kind === 'keras' && !isPickleName && !/\.npy$/i.test(m.name);
      out.findings.push(lenient
        ? finding(file, 'invalid-input', 'medium', `member "${m.name}" was not scanned: ${data.reason}.`, { member: m.name })
        : finding(file, 'unverified-artifact', 'high', `member "${m.name}" was not scanned: ${data.reason}${data.overCap ? ' (it may be a zip bomb)' : ''}; it could not be verified, do not load the file.`, { member: m.name }));
      continue;
    }
    if (data.data.length !== m.declaredSize) {
      // Readers disagree on such a member (miniz trusts the declared size, zlib the stream).
      out.findings.push(finding(file, 'unverified-artifact', 'high', `member "${m.name}" declares ${m.declaredSize} bytes uncompressed but holds ${data.data.length}; loaders may read it differently, so it could not be verified.`, { member: m.name }));
    }
    if (m.method !== 0) {
      inflated += data.data.length;
      out.bytesScanned += data.data.length;
    }
    if (kind === 'keras' && m.name === 'config.json' && !configText) configText = data.data;
    if (isNpy(data.data)) {
      scanNpyMember(file, m.name, data.data, out);
    } else {
      const scan = scanPickleStreams(file, data.data, { member: m.name, mode: isPickleName ? 'pickle' : 'sniff' });
      if (scan.streams > 0 || scan.findings.length > 0) out.pickleBased = true;
      out.pickles += scan.streams;
      out.imports.push(...scan.imports);
      out.findings.push(...scan.findings);
    }
  }
  if (kind === 'keras') {
    if (!members.some((m) => m.name === 'config.json')) {
      out.findings.push(finding(file, 'invalid-input', 'high', `no config.json in the archive: not a Keras 3 .keras file (it has ${members.length} members)`));
    } else if (configText) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(configText.buffer, configText.byteOffset, configText.byteLength).toString('utf8'));
      } catch (e) {
        out.findings.push(finding(file, 'invalid-input', 'high', `config.json is not valid JSON: ${(e as Error).message}`, { member: 'config.json' }));
      }
      if (parsed !== undefined) {
        const layers = findLambdaLayers(parsed);
        out.lambdaLayers = layers.map((l) => l.name);
        out.findings.push(...lambdaFindings(file, layers));
      }
    }
  }
  return out;
}

/**
 * A deflated member that is not named as a pickle is inflated whole only when its start may
 * be unpickled (or is an NPY array whose header needs the full read): raw tensor data and
 * plain arrays cost a few KiB of inflating, not their size.
 */
function worthInflating(bytes: Uint8Array, m: ZipMember): boolean {
  if (m.method === 0) return true;
  const peek = peekMember(bytes, m);
  if (!peek.ok) return true;
  if (peek.complete) return true;
  if (isNpy(peek.data)) {
    const header = readNpyHeader(peek.data);
    return !header.ok || header.objectDtype;
  }
  return mayHoldPickle(peek.data.subarray(0, SNIFF_BYTES), true);
}

/** numpy.load reads any NPZ member that starts with the NPY magic as an array, whatever its name. */
function scanNpyMember(file: string, name: string, data: Uint8Array, out: ArchiveScan): void {
  const header = readNpyHeader(data);
  if (!header.ok) {
    out.findings.push(header.unverified
      ? finding(file, 'unverified-artifact', 'high', `member "${name}": ${header.message}`, { member: name })
      : finding(file, 'invalid-input', 'high', `member "${name}": ${header.message}`, { member: name }));
    return;
  }
  if (!header.objectDtype) return;
  out.pickleBased = true;
  const scan = scanPickleStreams(file, data.subarray(header.dataStart), { member: name, base: header.dataStart, mode: 'pickle' });
  out.pickles += scan.streams;
  out.imports.push(...scan.imports);
  out.findings.push(...scan.findings);
}
