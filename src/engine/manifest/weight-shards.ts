/** The weight shard files a TF.js model.json names, for the manifest's containment check. */
import * as path from 'node:path';
import { readRegularFileSync } from '../artifacts/safe-files';

/** model.json with inline topology can be several MB; anything far larger is not one. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 ** 2;

/**
 * Each shard path of every weightsManifest group, resolved beside model.json; none when
 * the file cannot be read or is not a model.json (the loader reports that, with its reason).
 */
export function weightShardPaths(modelJson: string): { name: string; file: string }[] {
  let json: unknown;
  try {
    json = JSON.parse(readRegularFileSync(modelJson, { maxBytes: MAX_MODEL_JSON_BYTES, what: 'model file' }).toString('utf8'));
  } catch {
    return [];
  }
  const groups = (json as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(groups)) return [];
  const dir = path.dirname(modelJson);
  return groups.flatMap((g: unknown) => {
    const paths = (g as { paths?: unknown } | null)?.paths;
    return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string').map((p) => ({ name: JSON.stringify(p), file: path.resolve(dir, p) })) : [];
  });
}
