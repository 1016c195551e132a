/**
 * Bounded, synchronous folder walk for discovery and proposals: never follows symlinked
 * folders (no cycles), skips dependency/VCS/build folders, stops at a depth and an entry budget
 * so a huge workspace cannot stall the editor.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import * as path from 'node:path';

export const SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['node_modules', '.git', 'dist']);

export interface WalkOptions {
  /** Folder levels below the root to enter (0 = the root's own files only). */
  maxDepth: number;
  /** Directory entries to look at before giving up on the rest. */
  maxEntries?: number;
}

/** Absolute paths of the files under `root`, sorted. Unreadable folders are skipped. */
export function listFiles(root: string, opts: WalkOptions): string[] {
  const files: string[] = [];
  let budget = opts.maxEntries ?? 100_000;
  const visit = (dir: string, depth: number): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (--budget < 0) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < opts.maxDepth && !SKIPPED_FOLDERS.has(entry.name)) visit(full, depth + 1);
      } else if (entry.isFile() || (entry.isSymbolicLink() && isFile(full))) {
        files.push(full);
      }
    }
  };
  visit(path.resolve(root), 0);
  return files.sort();
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
