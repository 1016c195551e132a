import { InputError } from '../../errors';
import { listZipMembers, readZipMember, type ZipMember } from '../capped-inflate';
import { listNames } from './label-names';
import type { LoadedRecords } from './loaded-records';
import { ndarrayToLabels, ndarrayToRecords } from './ndarray';
import { parseNpy } from './npy';
import { MAX_DATASET_BYTES, formatBytes } from './read-file';

export interface NpzOptions {
  featuresKey?: string;
  labelsKey?: string;
  /** False when labels come from a separate file. */
  needLabels: boolean;
  /** Largest decompressed member accepted; a parameter only so tests can lower it. */
  limit?: number;
}

/** Conventional (features, labels) member names, tried in order. */
const KEY_PAIRS: [string, string][] = [['x', 'y'], ['features', 'labels'], ['X', 'y'], ['data', 'target']];

/** An NPZ archive (a zip of .npy members, stored or deflated) holding features and labels. */
export function readNpz(bytes: Uint8Array, file: string, opts: NpzOptions): LoadedRecords {
  const limit = opts.limit ?? MAX_DATASET_BYTES;
  const members = new Map<string, ZipMember>();
  // The central directory alone: nothing is inflated yet. numpy reads the last of duplicate names.
  for (const info of listZipMembers(bytes, file, 'NPZ (zip) archive')) members.set(info.name.replace(/\.npy$/, ''), info);
  const present = () => `the archive has ${listNames([...members.values()].map((m) => m.name))}`;
  const { featuresKey, labelsKey } = chooseKeys(new Set(members.keys()), opts);

  if (featuresKey === undefined || !members.has(featuresKey)) {
    const wanted = featuresKey !== undefined
      ? `no member "${featuresKey}" (featuresKey)`
      : `no features member: expected one of ${KEY_PAIRS.map((p) => p.join('/')).join(', ')}, or set featuresKey/labelsKey`;
    throw new InputError(`${wanted}; ${present()}`, { file });
  }
  if (opts.needLabels && (labelsKey === undefined || !members.has(labelsKey))) {
    const wanted = labelsKey !== undefined && opts.labelsKey !== undefined
      ? `no member "${labelsKey}" (labelsKey)`
      : `no labels member to go with "${featuresKey}": expected ${labelCandidates(featuresKey).join(', ')}, or set labelsKey`;
    throw new InputError(`${wanted}; ${present()}`, { file });
  }

  const wanted = [featuresKey, ...(opts.needLabels ? [labelsKey!] : [])].map((k) => members.get(k)!);
  for (const m of wanted) {
    // The declared size is what fflate allocates: refuse before it does.
    if (m.declaredSize >= limit) {
      throw new InputError(
        `member expands to ${formatBytes(m.declaredSize)}; decompressed members must be smaller than ${formatBytes(limit)}`,
        { file, field: m.name },
      );
    }
  }
  // Inflation is counted and stops at the size each member declares (capped-inflate.ts).
  const files: Record<string, Uint8Array> = {};
  for (const m of wanted) files[m.name] = readZipMember(bytes, m, limit - 1, file);

  const featuresName = members.get(featuresKey)!.name;
  const records = ndarrayToRecords(parseNpy(files[featuresName], { file, field: featuresName }), { file, field: featuresName });
  if (!opts.needLabels) return records;
  const labelsName = members.get(labelsKey!)!.name;
  const labels = ndarrayToLabels(parseNpy(files[labelsName], { file, field: labelsName }), { file, field: labelsName });
  return { ...records, labels };
}

function chooseKeys(keys: Set<string>, opts: NpzOptions): { featuresKey?: string; labelsKey?: string } {
  if (opts.featuresKey !== undefined) {
    return { featuresKey: opts.featuresKey, labelsKey: opts.labelsKey ?? labelCandidates(opts.featuresKey).find((k) => keys.has(k)) };
  }
  const pair = KEY_PAIRS.find(([f, l]) => keys.has(f) && (!opts.needLabels || opts.labelsKey !== undefined || keys.has(l)));
  return { featuresKey: pair?.[0], labelsKey: opts.labelsKey ?? pair?.[1] };
}

/** Labels member for a named features member: Keras-style x_train pairs with y_train. */
function labelCandidates(featuresKey: string): string[] {
  const paired = /^[xX]/.test(featuresKey) ? [`y${featuresKey.slice(1)}`] : [];
  return [...new Set([...paired, 'y', 'labels', 'target'])];
}

