/**
 * What detection found, as plain data (paths, no `vscode`), so the tree model, code
 * actions and tests can use it without a running editor.
 */
import * as path from 'node:path';
import type { DatasetFormat } from '../../engine/artifacts/datasets/format';
import type { DatasetRole } from '../../engine/manifest/dataset-roles';
import type { ModelFormat } from './classify';
import type { ManifestOutline } from './manifest-outline';
import { pathKey } from '../paths';

interface DetectedBase {
  /** Absolute file-system path. */
  path: string;
  /** The file's URI as a string (what VS Code APIs want back). */
  uri: string;
}

export interface DetectedManifest extends DetectedBase {
  outline: ManifestOutline;
}

export interface DetectedModel extends DetectedBase {
  format: ModelFormat;
  /** The engine can audit it (a TF.js model.json with weights). */
  auditable: boolean;
  /** Pickle-based: never loaded, flagged. */
  unsafe: boolean;
}

export interface DetectedDataset extends DetectedBase {
  format: DatasetFormat;
  role?: DatasetRole;
}

export interface DetectionSnapshot {
  manifests: DetectedManifest[];
  models: DetectedModel[];
  datasets: DetectedDataset[];
  /** The first full scan has finished. */
  done: boolean;
}

export const EMPTY_SNAPSHOT: DetectionSnapshot = { manifests: [], models: [], datasets: [], done: false };

/** Absolute path of an audit's model, as the engine resolves it: relative to the manifest's folder. */
export function auditModelPath(manifestPath: string, model: string): string {
  return path.resolve(path.dirname(manifestPath), model);
}

/** pathKeys of every model some detected manifest audits. */
export function coveredModelKeys(manifests: readonly DetectedManifest[]): Set<string> {
  const keys = new Set<string>();
  for (const m of manifests) {
    for (const audit of m.outline.audits) if (audit.model !== undefined) keys.add(pathKey(auditModelPath(m.path, audit.model)));
  }
  return keys;
}

/** Targets a sweep audits: every manifest, then every auditable model no manifest covers. */
export function sweepTargets(snapshot: DetectionSnapshot): string[] {
  const covered = coveredModelKeys(snapshot.manifests);
  return [
    ...snapshot.manifests.map((m) => m.path),
    ...snapshot.models.filter((m) => m.auditable && !covered.has(pathKey(m.path))).map((m) => m.path),
  ];
}
