/** Finding the audit manifests of a workspace folder. */
import * as path from 'node:path';
import { MANIFEST_FILE_NAME } from './defaults';
import { listFiles } from './walk';

/** Absolute paths of every privacy-audit.json under `folder` (at most `maxDepth` levels down), sorted. */
export function findManifests(folder: string, maxDepth = 8): string[] {
  return listFiles(folder, { maxDepth }).filter((f) => path.basename(f) === MANIFEST_FILE_NAME);
}
