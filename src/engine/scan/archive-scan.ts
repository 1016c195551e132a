/**
 * Zip containers: PyTorch checkpoints (`<name>/data.pkl` plus raw storages), NPZ archives
 * (object arrays inside are pickles), Keras 3 `.keras` files (config.json) and any other
 * zip holding `.pkl` members. Only the members that matter are inflated, within the caps.
 */
import type { Finding } from '../report/schema';
import { finding } from './finding-builders';
import { findLambdaLayers, lambdaFindings } from './keras-lambda';
import { readNpyHeader } from './npy-header';
import { scanPickleStreams } from './pickle-streams';
import type { ArtifactFormat, ScannedImport } from './types';
import { inflateMembers, listZip, MAX_INFLATED_BYTES, MAX_MEMBER_BYTES, type ZipMember } from './zip-archive';

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
    out.findings.push(finding(file, 'invalid-input', 'high', `starts like a zip archive but its directory cannot be read: ${(e as Error).message}`));
    return out;
  }

  const pickles = members.filter((m) => PICKLE_MEMBER.test(m.name));
  const npys = kind === 'npz' ? members.filter((m) => /\.npy$/i.test(m.name)) : [];
  const config = kind === 'keras' ? members.find((m) => m.name === 'config.json') : undefined;
  if (kind === 'pickle-zip' && pickles.some((m) => TORCH_DATA.test(m.name))) out.format = 'pytorch-zip';

  const wanted = [...pickles, ...npys, ...(config ? [config] : [])];
  let inflated;
  try {
    inflated = inflateMembers(bytes, wanted, caps);
  } catch (e) {
    out.findings.push(finding(file, 'invalid-input', 'high', `zip archive is corrupt: ${(e as Error).message}`));
    return out;
  }
  // Holding a pickle member makes the archive pickle-based, scanned or not.
  if (pickles.length) out.pickleBased = true;
  for (const r of inflated.refused) {
    // A pickle we could not look inside may hold anything: an error. A large NPY member is
    // more likely data than a bomb, but it was not checked for object arrays either.
    const isPickle = PICKLE_MEMBER.test(r.name);
    out.findings.push(finding(file, 'invalid-input', isPickle ? 'high' : 'medium',
      `member "${r.name}" was not scanned: ${r.reason}. It may be a zip bomb; do not load the file.`, { member: r.name }));
  }
  for (const data of Object.values(inflated.files)) out.bytesScanned += data.length;

  for (const m of pickles) {
    const data = inflated.files[m.name];
    if (!data) continue;
    const scan = scanPickleStreams(file, data, { member: m.name });
    out.pickles += scan.streams;
    out.imports.push(...scan.imports);
    out.findings.push(...scan.findings);
  }
  for (const m of npys) {
    const data = inflated.files[m.name];
    if (!data) continue;
    const header = readNpyHeader(data);
    if (!header.ok) {
      out.findings.push(finding(file, 'invalid-input', 'high', `member "${m.name}": ${header.message}`, { member: m.name }));
      continue;
    }
    if (!header.objectDtype) continue;
    out.pickleBased = true;
    const scan = scanPickleStreams(file, data.subarray(header.dataStart), { member: m.name, base: header.dataStart });
    out.pickles += scan.streams;
    out.imports.push(...scan.imports);
    out.findings.push(...scan.findings);
  }
  if (kind === 'keras') {
    const text = config && inflated.files[config.name];
    if (!config) {
      out.findings.push(finding(file, 'invalid-input', 'high', `no config.json in the archive: not a Keras 3 .keras file (it has ${members.length} members)`));
    } else if (text) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8'));
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
