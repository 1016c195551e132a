/**
 * Bounded, synchronous folder walk for discovery and proposals: never follows symlinked
 * folders (no cycles), skips dependency/VCS/build folders, stops at a depth and an entry budget
 * so a huge workspace cannot stall the editor.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { isInside, realpathNearest } from '../artifacts/safe-files';

export const SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['node_modules', '.git', 'dist']);

export const DEFAULT_MAX_ENTRIES = 100_000;

export interface WalkOptions {
  /** Folder levels below the root to enter (0 = the root's own files only). */
  maxDepth: number;
  /** Directory entries to look at before giving up on the rest; default DEFAULT_MAX_ENTRIES. */
  maxEntries?: number;
  /** Folder names skipped at any depth, besides SKIPPED_FOLDERS. */
  skip?: ReadonlySet<string>;
}

/** What a bounded walk found, and where its bounds left it incomplete. */
export interface WalkResult {
  /** Absolute paths of the files found, sorted. */
  files: string[];
  /** Set when the entry budget ran out before the walk finished: later entries were not looked at. */
  entryLimit?: number;
  /** Folders not entered because they lie deeper than maxDepth (absolute paths, sorted). */
  tooDeep: string[];
}

/** Walks `root` within the bounds and says where they cut it short. Unreadable folders are skipped. */
export function walkFiles(root: string, opts: WalkOptions): WalkResult {
  const files: string[] = [];
  const tooDeep: string[] = [];
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  let budget = maxEntries;
  const skipped = (name: string) => SKIPPED_FOLDERS.has(name) || opts.skip?.has(name) === true;
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
        if (skipped(entry.name)) continue;
        if (depth < opts.maxDepth) visit(full, depth + 1);
        else tooDeep.push(full);
      } else if (entry.isFile() || (entry.isSymbolicLink() && isFile(full) && isInside(realpathNearest(full), realRoot))) {
        // A symlinked file counts only when it points inside the walked folder: a repository's link out is not its file.
        files.push(full);
      }
    }
  };
  const realRoot = realpathNearest(root);
  visit(path.resolve(root), 0);
  return { files: files.sort(), ...(budget < 0 ? { entryLimit: maxEntries } : {}), tooDeep: tooDeep.sort() };
}

/** Absolute paths of the files under `root`, sorted: `walkFiles` when the caller need not say where it stopped. */
export function listFiles(root: string, opts: WalkOptions): string[] {
  return walkFiles(root, opts).files;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
