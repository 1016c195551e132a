/**
 * SHA-256 of input files (models, weight shards, datasets) for the result cache. Hashing
 * a large dataset takes a while, so a file's hash is reused while its size, mtime and
 * inode stay the same, like git's index. A file changed within the same mtime tick as
 * its hashing could keep its stamp, so a hash taken that soon after the mtime is not
 * trusted later (git's "racy clean" rule).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { pathKey } from './uris';

/** How much older than its hashing a file's mtime must be for the hash to be reused. */
const RACY_WINDOW_MS = 2000;

export interface FileFingerprint {
  path: string;
  /** 'missing' when the file did not exist or could not be read. */
  sha256: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** When the hash was taken (ms since epoch). */
  hashedAt: number;
}

export const MISSING = 'missing';

export class FileHasher {
  private readonly known = new Map<string, FileFingerprint>();

  /** Fingerprints loaded from the result cache, so a restart does not rehash unchanged data. */
  seed(fingerprints: Iterable<FileFingerprint>): void {
    for (const f of fingerprints) {
      if (f.sha256 !== MISSING && !this.known.has(pathKey(f.path))) this.known.set(pathKey(f.path), f);
    }
  }

  async fingerprint(file: string): Promise<FileFingerprint> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch {
      return { path: file, sha256: MISSING, size: -1, mtimeMs: -1, ino: -1, hashedAt: Date.now() };
    }
    const key = pathKey(file);
    const known = this.known.get(key);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs && known.ino === stat.ino && known.hashedAt - stat.mtimeMs > RACY_WINDOW_MS) {
      return { ...known, path: file };
    }
    const hashedAt = Date.now();
    let sha256: string;
    try {
      sha256 = await hashFile(file);
    } catch {
      return { path: file, sha256: MISSING, size: -1, mtimeMs: -1, ino: -1, hashedAt };
    }
    const fingerprint = { path: file, sha256, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, hashedAt };
    this.known.set(key, fingerprint);
    return fingerprint;
  }
}

/** Streams the file, so neither memory nor the event loop suffers on a large dataset. */
function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
