/**
 * Serves ScanArtifactsRequest: scans the files the extension's detection found and
 * publishes what the scanner says as diagnostics (source "artifact-scan"), replacing the
 * previous scan's. Files are only read, never handed to a loader, so the scan is safe
 * whatever the file holds. Results are kept per file by size and modification time, so a
 * repeated request rescans only what changed; requests run one after another.
 */
import { promises as fs } from 'node:fs';
import { isInputError } from '../engine/errors';
import { scanArtifact, type ScanOptions, type ScanResult } from '../engine/scan';
import type { ArtifactScanSummary, ScanArtifactsResult } from '../shared/protocol';
import { scanDiagnostics } from './artifact-scan-diagnostics';
import type { DiagnosticPublisher } from './diagnostic-publisher';
import type { FileDiagnostics } from './diagnostics';
import type { Log } from './log';
import { pathKey } from './uris';
import { countBySeverity } from '../engine/report/format';

export const ARTIFACT_SCAN_SOURCE = 'artifact-scan';
/** The server is long-lived: zips above this are reported unscanned rather than read whole. */
const SERVER_MAX_ZIP_BYTES = 512 * 1024 * 1024;
/** More files than this in one request are cut (detection lists at most 20 000 candidates). */
export const MAX_SCANNED_FILES = 5000;

export type ScanFn = (file: string, options: ScanOptions) => Promise<ScanResult>;

interface Cached {
  size: number;
  mtimeMs: number;
  result: ScanResult;
}

export class ArtifactScanService {
  private readonly cache = new Map<string, Cached>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly publisher: DiagnosticPublisher,
    private readonly log: Log,
    private readonly docsBaseUri?: string,
    private readonly scan: ScanFn = scanArtifact,
  ) {}

  /** Scans `files` (after any request still running) and republishes the scan diagnostics. */
  scanFiles(files: readonly string[]): Promise<ScanArtifactsResult> {
    const run = this.queue.then(() => this.scanNow(files));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async scanNow(requested: readonly string[]): Promise<ScanArtifactsResult> {
    const files = [...new Map(requested.map((f) => [pathKey(f), f])).values()];
    if (files.length > MAX_SCANNED_FILES) this.log.warn(`Artifact scan: ${files.length} files listed; scanning the first ${MAX_SCANNED_FILES}.`);
    const out: ScanArtifactsResult = { summaries: [], unreadable: [] };
    const published = new Map<string, FileDiagnostics>();
    const keep = new Set<string>();
    const started = Date.now();
    for (const file of files.slice(0, MAX_SCANNED_FILES)) {
      const key = pathKey(file);
      let result: ScanResult;
      try {
        result = await this.scanCached(file, key);
      } catch (e) {
        if (!isInputError(e)) this.log.error(`Artifact scan of ${file} failed: ${(e as Error).stack ?? e}`);
        out.unreadable.push({ file, message: (e as Error).message });
        continue;
      }
      keep.add(key);
      const diagnostics = scanDiagnostics(result, this.docsBaseUri);
      if (diagnostics.length) published.set(key, { file, diagnostics });
      out.summaries.push(summary(result));
    }
    for (const key of [...this.cache.keys()]) if (!keep.has(key)) this.cache.delete(key);
    this.publisher.set(ARTIFACT_SCAN_SOURCE, published);
    const flagged = out.summaries.filter((s) => s.errors > 0).length;
    this.log.info(`Artifact scan: ${out.summaries.length} file(s) in ${Date.now() - started} ms; ${flagged} unsafe.`);
    return out;
  }

  private async scanCached(file: string, key: string): Promise<ScanResult> {
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      // The scanner words the InputError for a missing file.
      return this.scan(file, { maxZipBytes: SERVER_MAX_ZIP_BYTES });
    }
    const cached = this.cache.get(key);
    if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.result;
    const result = await this.scan(file, { maxZipBytes: SERVER_MAX_ZIP_BYTES });
    this.cache.set(key, { size: stat.size, mtimeMs: stat.mtimeMs, result });
    return result;
  }
}

function summary(result: ScanResult): ArtifactScanSummary {
  const counts = countBySeverity(result.findings);
  return { file: result.file, format: result.format, pickleBased: result.pickleBased, errors: counts.high, warnings: counts.medium };
}
