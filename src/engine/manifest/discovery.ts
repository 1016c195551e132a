/** Finding the audit manifests of a workspace folder. */
import * as path from 'node:path';
import { MANIFEST_FILE_NAME } from './defaults';
import { walkFiles, type WalkOptions, type WalkResult } from './walk';

export const MANIFEST_SEARCH_DEPTH = 8;

/** The manifests under `folder`, and where the walk's bounds left the search incomplete. */
export function searchManifests(folder: string, opts: Partial<WalkOptions> = {}): Omit<WalkResult, 'files'> & { manifests: string[] } {
  const { files, ...limits } = walkFiles(folder, { maxDepth: MANIFEST_SEARCH_DEPTH, ...opts });
  return { manifests: files.filter((f) => path.basename(f) === MANIFEST_FILE_NAME), ...limits };
}

/** Absolute paths of every privacy-audit.json under `folder` (at most `maxDepth` levels down), sorted. */
export function findManifests(folder: string, maxDepth = MANIFEST_SEARCH_DEPTH): string[] {
  return searchManifests(folder, { maxDepth }).manifests;
}
