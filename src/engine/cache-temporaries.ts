/**
 * Temporary names for cache writes (shadow cache files, defended-model folders, the
 * server's result cache): an
 * entry is built under a name unique to this process and call, then renamed, so a
 * killed run leaves a temporary, never half an entry; later runs sweep old temporaries.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `<final>.<pid>.<random hex>.tmp`, beside `final`. */
export function temporaryName(final: string): string {
  return `${final}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/**
 * Deletes the temporaries in `cacheDir` of entries named like `finalName` (a regular
 * expression source for the final name) that are older than `maxAgeMs`: younger ones may
 * be a write in progress. Finished entries never match.
 */
export function removeOldTemporaries(cacheDir: string, finalName: string, maxAgeMs: number, now: number): void {
  let names: string[];
  try {
    names = fs.readdirSync(cacheDir);
  } catch {
    return; // no cache yet
  }
  const temporary = new RegExp(`^${finalName}\\.\\d+\\.[0-9a-f]+\\.tmp$`);
  for (const name of names) {
    if (!temporary.test(name)) continue;
    const entry = path.join(cacheDir, name);
    try {
      if (now - fs.statSync(entry).mtimeMs > maxAgeMs) fs.rmSync(entry, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another run: nothing to do.
    }
  }
}
