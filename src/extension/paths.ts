/**
 * One spelling per file, as the server keys them (src/server/uris.ts): resolved, and
 * case-folded where the file system ignores case. Used to match summaries to files.
 */
import * as path from 'node:path';

export function pathKey(file: string): string {
  const resolved = path.resolve(file);
  return process.platform === 'win32' || process.platform === 'darwin' ? resolved.toLowerCase() : resolved;
}

export function samePath(a: string, b: string): boolean {
  return pathKey(a) === pathKey(b);
}

export function isInside(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
