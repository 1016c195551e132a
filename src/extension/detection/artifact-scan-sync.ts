/**
 * Keeps the engine's scan diagnostics in step with detection: after each detection change
 * (files added, changed, removed) and whenever a new engine process is running, sends the
 * current scan targets with ScanArtifactsRequest; the server scans (bytes only, cached by
 * size and mtime) and publishes diagnostics on the files. Bursts are coalesced.
 *
 * Workspace Trust: scanning never loads or runs a file, so it runs in Restricted Mode too,
 * where an unsafe pickle matters most: there the engine starts untrusted (ctx.ts), refuses
 * audits, and answers scans only.
 *
 * Written against small interfaces rather than `vscode`, so unit tests drive it with fakes.
 */
import { ScanArtifactsRequest, type ScanArtifactsResult } from '../../shared/protocol';
import type { DetectionSnapshot } from './detected';
import { scanTargets } from './scan-targets';

interface Disposable {
  dispose(): void;
}

export interface ScanSyncSources {
  snapshot(): DetectionSnapshot;
  onDetectionChange(listener: () => void): Disposable;
  /** The running engine's client, if any. */
  client(): ScanClient | undefined;
  /** Fires when the engine starts, stops or restarts. */
  onEngineChange(listener: () => void): Disposable;
}

export interface ScanClient {
  sendRequest(type: typeof ScanArtifactsRequest, params: { files: string[] }): Promise<ScanArtifactsResult>;
}

export interface ScanSyncLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Detection publishes after its own 150 ms settle; this only merges detection and engine events. */
export const SCAN_SETTLE_MS = 200;

export class ArtifactScanSync implements Disposable {
  private timer: NodeJS.Timeout | undefined;
  private lastClient: ScanClient | undefined;
  private readonly subscriptions: Disposable[];
  /** The last request, for tests and for ordering (one at a time). */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly sources: ScanSyncSources, private readonly log: ScanSyncLog, private readonly settleMs = SCAN_SETTLE_MS) {
    this.subscriptions = [
      sources.onDetectionChange(() => this.schedule()),
      sources.onEngineChange(() => {
        // Only a new engine process needs the list again; status changes of the same one do not.
        const client = sources.client();
        if (client && client !== this.lastClient) this.schedule();
        if (!client) this.lastClient = undefined;
      }),
    ];
    this.schedule();
  }

  /** Resolves once the requests scheduled so far have been answered (tests). */
  async settled(): Promise<void> {
    while (this.timer) await new Promise((r) => setTimeout(r, this.settleMs));
    await this.inFlight;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.subscriptions.forEach((s) => s.dispose());
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.inFlight.then(() => this.send());
    }, this.settleMs);
  }

  private async send(): Promise<void> {
    const client = this.sources.client();
    const snapshot = this.sources.snapshot();
    // Before the first full detection the list is partial: scanning it would clear diagnostics of files not yet listed.
    if (!client || !snapshot.done) return;
    this.lastClient = client;
    const files = scanTargets(snapshot);
    try {
      const result = await client.sendRequest(ScanArtifactsRequest, { files });
      const unsafe = result.summaries.filter((s) => s.errors > 0).length;
      if (files.length) this.log.info(`Scanned ${result.summaries.length} model/data file(s) statically: ${unsafe} unsafe to load.`);
      for (const u of result.unreadable) this.log.warn(`Could not scan ${u.file}: ${u.message}`);
    } catch (e) {
      this.log.warn(`The static scan of model files failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
