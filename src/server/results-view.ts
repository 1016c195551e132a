/**
 * The results the client sees: per report key, the cached entry and which of its audits
 * are stale. Showing an entry republishes its diagnostics (replacing the previous ones of
 * that key) and tells the client to refresh its views.
 */
import * as path from 'node:path';
import type { AuditReport } from '../engine/report/schema';
import type { AuditSummary } from '../shared/protocol';
import { reportDiagnostics } from './diagnostics';
import type { DiagnosticPublisher } from './diagnostic-publisher';
import type { ModelTopologyLocator } from './model-topology';
import { reportOf, type CacheEntry } from './result-cache';
import { summarize } from './summaries';
import { pathKey } from './uris';

interface Shown {
  entry: CacheEntry;
  stale: ReadonlySet<string>;
  report: AuditReport;
  summaries: AuditSummary[];
}

export class ResultsView {
  private readonly shown = new Map<string, Shown>();

  constructor(
    private readonly publisher: DiagnosticPublisher,
    private readonly models: ModelTopologyLocator,
    private readonly docsBaseUri: string | undefined,
    /** Gets every summary shown (not only the changed ones): views simply redraw. */
    private readonly resultsChanged: (summaries: AuditSummary[]) => void,
  ) {}

  /** Publishes the entry's diagnostics and returns its summaries. */
  show(entry: CacheEntry, stale: ReadonlySet<string>): AuditSummary[] {
    const report = reportOf(entry);
    const manifest = report.manifest !== undefined ? path.resolve(report.root, report.manifest) : undefined;
    const modelOf = (audit: string) => entry.audits.find((a) => a.name === audit)?.model;
    const summaries = summarize(report, { reportKey: entry.reportKey, staleAudits: stale, manifest, modelOf });
    this.shown.set(pathKey(entry.reportKey), { entry, stale, report, summaries });
    this.publisher.set(
      sourceOf(entry.reportKey),
      reportDiagnostics(report, {
        docsBaseUri: this.docsBaseUri,
        staleAudits: stale,
        modelTopologyRange: (model) => this.models.rangeOf(model),
        skipManifestProblems: true,
      }),
    );
    this.resultsChanged(this.summaries());
    return summaries;
  }

  forget(reportKey: string): void {
    if (!this.shown.delete(pathKey(reportKey))) return;
    this.publisher.clear(sourceOf(reportKey));
    this.resultsChanged(this.summaries());
  }

  entries(): CacheEntry[] {
    return [...this.shown.values()].map((s) => s.entry);
  }

  staleOf(reportKey: string): ReadonlySet<string> {
    return this.shown.get(pathKey(reportKey))?.stale ?? new Set();
  }

  report(reportKey: string): AuditReport | null {
    return this.shown.get(pathKey(reportKey))?.report ?? null;
  }

  /** The summaries shown for one report key (none when it has no results). */
  summariesOf(reportKey: string): AuditSummary[] {
    return this.shown.get(pathKey(reportKey))?.summaries ?? [];
  }

  summaries(): AuditSummary[] {
    return [...this.shown.values()].flatMap((s) => s.summaries);
  }
}

function sourceOf(reportKey: string): string {
  return `report:${pathKey(reportKey)}`;
}
