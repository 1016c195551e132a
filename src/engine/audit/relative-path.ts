/** Report paths: relative to the report's root with forward slashes, or absolute when outside it. */
import * as path from 'node:path';

export function relativeTo(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
}
