/**
 * File paths <-> file URIs. The server keys everything by absolute path, because the
 * same file can arrive spelled as different URI strings (VS Code encodes a drive
 * letter's colon, Node does not); URIs are made only at the protocol boundary.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function pathToUri(file: string): string {
  return pathToFileURL(path.resolve(file)).href;
}

/** The absolute path of a file URI, or undefined for other schemes (untitled:, vscode-notebook-cell:). */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** One key per file: resolved, and case-folded where the file system ignores case. */
export function pathKey(file: string): string {
  const resolved = path.resolve(file);
  return process.platform === 'win32' || process.platform === 'darwin' ? resolved.toLowerCase() : resolved;
}
