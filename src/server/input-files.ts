/**
 * The files an audit reads: the model or every model of an ensemble (and, for a TF.js
 * model.json, its weight shards), the shadow architecture file, and every dataset and
 * labels file. Their contents are part of the result cache key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuditSpec } from '../engine/manifest';

/** A model.json larger than this is not parsed for shard names; its own bytes still count. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

export function auditInputFiles(spec: AuditSpec): string[] {
  const models = [...(spec.ensemble ?? [spec.model]), ...(spec.shadow.architecture !== undefined ? [spec.shadow.architecture] : [])];
  const files = models.flatMap((m) => [m, ...weightShards(m)]);
  for (const ds of [spec.members, spec.nonMembers, spec.population]) {
    if (!ds) continue;
    files.push(ds.path);
    if (ds.labelsPath !== undefined) files.push(ds.labelsPath);
  }
  return [...new Set(files)];
}

/** Shard files listed in a TF.js model.json's weightsManifest; none when it cannot be read. */
export function weightShards(modelFile: string): string[] {
  if (!modelFile.toLowerCase().endsWith('.json')) return [];
  try {
    if (fs.statSync(modelFile).size > MAX_MODEL_JSON_BYTES) return [];
    const json = JSON.parse(fs.readFileSync(modelFile, 'utf8')) as { weightsManifest?: unknown };
    if (!Array.isArray(json.weightsManifest)) return [];
    const dir = path.dirname(modelFile);
    return json.weightsManifest.flatMap((group: { paths?: unknown }) =>
      Array.isArray(group?.paths) ? group.paths.filter((p): p is string => typeof p === 'string').map((p) => path.resolve(dir, p)) : [],
    );
  } catch {
    // An unreadable model is reported by the audit itself; here it only means "no shards".
    return [];
  }
}
