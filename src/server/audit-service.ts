/**
 * Runs audit requests: resolves the target, answers unchanged audits from the result
 * cache, queues the rest on the worker scheduler, files each audit's result as soon as
 * it arrives (so a cancel keeps it) and publishes diagnostics. Also computes which
 * cached results are stale, for startup and after files change.
 *
 * An audit with shadow-model attacks first sends a preliminary result (its threshold
 * attacks). It is shown like a final one, marked preliminary, but never filed in the
 * cache: the final result replaces it, and after a cancel it stays shown until the next
 * run of that audit, which recomputes it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuditSpec } from '../engine/manifest';
import type { AuditReport } from '../engine/report/schema';
import type { AuditOutcome, AuditParams, AuditSummary, EngineSettings, SweepParams } from '../shared/protocol';
import type { FileHasher } from './file-hasher';
import { auditInputFiles } from './input-files';
import type { Log } from './log';
import type { ManifestValidator } from './manifest-validator';
import { ABORTED, unlessAborted } from './cancellation';
import { progressReport, share } from './progress-message';
import { UserFacingError } from './request-guard';
import { auditCacheKey, mergeEntry, staleAudits, type AuditKey, type CacheEntry, type CachedAudit, type ReportHeader, type ResultCache } from './result-cache';
import { shadowCountFor } from './shadow-count';
import type { ResultsView } from './results-view';
import type { AuditScheduler } from './scheduler';
import type { StatusTracker } from './status';
import { resolveTarget, type ResolvedTarget } from './target-resolution';
import { pathKey } from './uris';

export interface AuditServiceDeps {
  scheduler: AuditScheduler;
  cache: ResultCache;
  hasher: FileHasher;
  view: ResultsView;
  status: StatusTracker;
  validator: ManifestValidator;
  /** Whether the client has the file open (its live validation then owns the problems). */
  isOpen: (file: string) => boolean;
  /** Read at each use: the client may change them while the server runs. */
  settings: () => EngineSettings;
  workspaceFolders: () => readonly string[];
  /** Where trained shadow models are cached; undefined = beside the manifest. */
  shadowCacheDir?: string;
  log: Log;
}

export interface RunHooks {
  signal: AbortSignal;
  onProgress?(message: string, percentage: number): void;
}

type AuditRequestParams = Pick<AuditParams, 'target' | 'audits' | 'attacks'>;

/** Preliminary results of one report key, shown over its cached entry. */
interface PreliminaryParts {
  header: ReportHeader;
  manifestAudits: readonly string[];
  /** audit name -> part whose result is marked preliminary. */
  parts: Map<string, CachedAudit>;
}

export class AuditService {
  private nextJob = 1;
  /** pathKey(report key) -> preliminary parts newer than the cached ones of the same audits. */
  private readonly preliminary = new Map<string, PreliminaryParts>();

  constructor(private readonly deps: AuditServiceDeps) {}

  async audit(params: AuditRequestParams, hooks: RunHooks): Promise<AuditOutcome> {
    const outcome: AuditOutcome = { reportKey: params.target, summaries: [], cancelled: false, fromCache: [], errors: [] };
    if (hooks.signal.aborted) return { ...outcome, cancelled: true };
    let resolved: ResolvedTarget;
    try {
      resolved = this.resolve(params.target, params.audits);
    } catch (e) {
      if (!(e instanceof UserFacingError)) throw e;
      return { ...outcome, errors: [e.message] };
    }
    outcome.reportKey = resolved.reportKey;
    const { manifest } = resolved;
    if (!manifest) {
      if (!resolved.proposed && !this.deps.isOpen(resolved.manifestFile)) this.deps.validator.validateFile(resolved.manifestFile);
      await this.refresh(resolved.reportKey);
      return { ...outcome, errors: [manifestErrorsMessage(resolved)] };
    }
    outcome.errors.push(...resolved.unknown.map((n) => `${resolved.manifestFile}: no audit named "${n}"`));

    const settings = this.deps.settings();
    const attacks = params.attacks ?? (resolved.proposed && settings.sweepAttacks.length ? settings.sweepAttacks : undefined);
    const keys = new CurrentKeys(resolved, this.deps.hasher, settings.shadowModels);
    const requested = new Map<string, AuditKey>();
    const hashing = (async () => {
      for (const name of resolved.selected) requested.set(name, await keys.of(name, attacks));
      // Keys of the audits already filed, so staleness can be shown without waiting on the job.
      const previous = this.deps.cache.get(resolved.reportKey);
      for (const part of previous?.audits ?? []) {
        if (!requested.has(part.name)) await keys.of(part.name, part.attacks);
      }
    })();
    // Hashing a large dataset takes a while; a cancel must not wait for it.
    if ((await unlessAborted(hashing, hooks.signal)) === ABORTED) {
      return { ...outcome, cancelled: true, summaries: this.deps.view.summariesOf(resolved.reportKey).filter((s) => resolved.selected.includes(s.audit)) };
    }

    outcome.fromCache = resolved.selected.filter((n) => this.deps.cache.lookup(resolved.reportKey, n, requested.get(n)!.key));
    // The cached final result is current: an older preliminary one must not cover it.
    this.dropPreliminary(resolved.reportKey, outcome.fromCache);
    const toRun = resolved.selected.filter((n) => !outcome.fromCache.includes(n));
    const manifestAudits = manifest.audits.map((a) => a.name);
    const specs = new Map(manifest.audits.map((a) => [a.name, a]));

    const jobId = this.nextJob++;
    let failure: string | undefined;
    /** Audits of this job whose preliminary result is shown, for the progress text. */
    const preliminaryShown = new Set<string>();
    const partOf = (name: string, report: AuditReport): { part: CachedAudit; header: ReportHeader } => {
      const { audits, findings, ...header } = report;
      const key = requested.get(name)!;
      const part: CachedAudit = { name, model: specs.get(name)!.model, key: key.key, inputs: key.inputs, findings };
      if (audits[0]) part.result = audits[0];
      if (attacks) part.attacks = [...attacks];
      return { part, header };
    };
    if (toRun.length > 0) {
      const end = await this.deps.scheduler.run(
        {
          manifestFile: resolved.manifestFile, manifestText: resolved.manifestText, proposed: resolved.proposed,
          root: resolved.root, audits: toRun, backend: settings.backend, workers: settings.workers,
          ...(settings.queueUrl ? { queueUrl: settings.queueUrl } : {}),
          ...(this.deps.shadowCacheDir ? { shadowCacheDir: this.deps.shadowCacheDir } : {}),
          ...(attacks ? { attacks: [...attacks] } : {}),
          ...(settings.shadowModels !== undefined ? { shadowModels: settings.shadowModels } : {}),
          ...(settings.allowOutsideWorkspace === true ? { allowOutsideWorkspace: true } : {}),
          workspaceRoot: resolved.workspaceRoot,
        },
        {
          onStart: () => this.deps.status.auditRunning(jobId, toRun[0]!),
          onProgress: (index, count, progress) => {
            this.deps.status.auditRunning(jobId, progress.audit);
            const report = progressReport(progress, { index, count }, { preliminary: preliminaryShown.has(progress.audit) });
            hooks.onProgress?.(report.message, report.percentage);
          },
          onAuditPreliminary: (name, report) => {
            const { part, header } = partOf(name, report);
            this.addPreliminary(resolved.reportKey, header, manifestAudits, part);
            preliminaryShown.add(name);
            const entry = this.entryOf(resolved.reportKey)!;
            const summary = this.deps.view.show(entry, staleAudits(entry, keys.known())).find((s) => s.audit === name);
            if (summary) this.deps.status.auditPreliminary(jobId, summary);
          },
          onAuditDone: (name, report) => {
            const { part, header } = partOf(name, report);
            this.dropPreliminary(resolved.reportKey, [name]);
            preliminaryShown.delete(name);
            this.deps.status.auditDone(jobId, name);
            this.deps.cache.put(mergeEntry(this.deps.cache.get(resolved.reportKey), { reportKey: resolved.reportKey, header, audits: [part], manifestAudits }));
            const entry = this.entryOf(resolved.reportKey)!;
            this.deps.view.show(entry, staleAudits(entry, keys.known()));
          },
        },
        hooks.signal,
      );
      if (end.status === 'cancelled') outcome.cancelled = true;
      if (end.status === 'failed') {
        failure = end.input ? end.message : `internal error in the audit engine: ${end.message} (details in the log)`;
        outcome.errors.push(failure);
      }
    }

    const entry = this.entryOf(resolved.reportKey);
    if (entry) {
      const shown = this.deps.view.show(entry, staleAudits(entry, keys.known()));
      outcome.summaries = shown.filter((s) => resolved.selected.includes(s.audit));
      // An audit stopped by a bad model or dataset, or by inputs that cannot be what the model
      // was trained on (a plausibility check that stops): its finding is already a diagnostic.
      for (const part of entry.audits) {
        if (part.result || !toRun.includes(part.name)) continue;
        outcome.errors.push(...part.findings.filter((f) => (f.rule === 'invalid-input' || f.data?.['stopsAudit'] === true) && !f.attack).map((f) => f.message));
      }
    }
    if (toRun.length > 0) {
      const ended: { error?: string; backend?: string; lastSummary?: AuditSummary } = {};
      if (failure !== undefined) ended.error = failure;
      if (entry) ended.backend = entry.header.backend;
      const last = outcome.summaries.at(-1);
      if (last) ended.lastSummary = last;
      this.deps.status.jobEnded(jobId, ended);
    }
    return outcome;
  }

  /** Targets one after another, so a target audited twice (manifest and model) hits the cache the second time. */
  async sweep(params: Pick<SweepParams, 'targets' | 'attacks'>, hooks: RunHooks): Promise<AuditOutcome[]> {
    const outcomes: AuditOutcome[] = [];
    const count = params.targets.length;
    for (const [index, target] of params.targets.entries()) {
      outcomes.push(await this.audit(params.attacks ? { target, attacks: params.attacks } : { target }, {
        signal: hooks.signal,
        onProgress: (message, percentage) => hooks.onProgress?.(message, share({ index, count }, percentage / 100)),
      }));
    }
    return outcomes;
  }

  /** Shows the cached results of every workspace folder, marking those whose inputs changed. */
  async loadCached(folders: readonly string[]): Promise<void> {
    for (const entry of this.deps.cache.loadAll()) {
      if (!folders.some((f) => isInside(entry.reportKey, f)) || !fs.existsSync(entry.reportKey)) continue;
      this.deps.hasher.seed(entry.audits.flatMap((a) => a.inputs));
      this.deps.view.show(entry, await this.staleOf(entry));
    }
  }

  /** Recomputes staleness of one shown result, or of all of them. */
  async refresh(reportKey?: string): Promise<void> {
    const entries = reportKey !== undefined
      ? [this.entryOf(reportKey)].filter((e): e is CacheEntry => e !== undefined)
      : this.deps.view.entries();
    for (const entry of entries) {
      if (!fs.existsSync(entry.reportKey)) {
        this.deps.view.forget(entry.reportKey);
        continue;
      }
      const stale = await this.staleOf(entry);
      const before = this.deps.view.staleOf(entry.reportKey);
      if (reportKey !== undefined || !sameSet(stale, before)) this.deps.view.show(entry, stale);
    }
  }

  private async staleOf(entry: CacheEntry): Promise<Set<string>> {
    let resolved: ResolvedTarget;
    try {
      resolved = this.resolve(entry.reportKey, undefined);
    } catch {
      return new Set(entry.audits.map((a) => a.name));
    }
    if (!resolved.manifest || pathKey(resolved.reportKey) !== pathKey(entry.reportKey)) return new Set(entry.audits.map((a) => a.name));
    const keys = new CurrentKeys(resolved, this.deps.hasher, this.deps.settings().shadowModels);
    for (const part of entry.audits) await keys.of(part.name, part.attacks);
    return staleAudits(entry, keys.known());
  }

  /** The cached entry with the preliminary parts shown over it (either may be missing). */
  private entryOf(reportKey: string): CacheEntry | undefined {
    const cached = this.deps.cache.get(reportKey);
    const preliminary = this.preliminary.get(pathKey(reportKey));
    if (!preliminary) return cached;
    // Audits the cached entry has that the preliminary run's manifest did not list (yet) stay shown.
    const names = [...preliminary.manifestAudits, ...(cached?.audits ?? []).map((a) => a.name).filter((n) => !preliminary.manifestAudits.includes(n))];
    return mergeEntry(cached, { reportKey, header: cached?.header ?? preliminary.header, audits: [...preliminary.parts.values()], manifestAudits: names });
  }

  private addPreliminary(reportKey: string, header: ReportHeader, manifestAudits: readonly string[], part: CachedAudit): void {
    const key = pathKey(reportKey);
    const known = this.preliminary.get(key);
    const parts = known?.parts ?? new Map<string, CachedAudit>();
    parts.set(part.name, part);
    this.preliminary.set(key, { header, manifestAudits, parts });
  }

  private dropPreliminary(reportKey: string, audits: readonly string[]): void {
    const key = pathKey(reportKey);
    const known = this.preliminary.get(key);
    if (!known) return;
    for (const name of audits) known.parts.delete(name);
    if (known.parts.size === 0) this.preliminary.delete(key);
  }

  private resolve(target: string, audits: readonly string[] | undefined): ResolvedTarget {
    const settings = this.deps.settings();
    return resolveTarget(target, audits, { workspaceFolders: this.deps.workspaceFolders(), defaultPolicy: settings.defaultPolicy, allowOutsideWorkspace: settings.allowOutsideWorkspace === true });
  }
}

/** Current cache keys of a resolved manifest's audits, for staleness and lookups. */
class CurrentKeys {
  private readonly specs: Map<string, AuditSpec>;
  /** name -> the key under the attack list that audit was (or is being) run with. */
  private readonly keys = new Map<string, string | undefined>();

  constructor(
    private readonly resolved: ResolvedTarget,
    private readonly hasher: FileHasher,
    /** modelPrivacy.shadowModels: part of the key of the audits it applies to. */
    private readonly shadowModels: number | undefined,
  ) {
    this.specs = new Map((resolved.manifest?.audits ?? []).map((a) => [a.name, a]));
  }

  async of(name: string, attacks: readonly string[] | undefined): Promise<AuditKey> {
    const spec = this.specs.get(name);
    if (!spec) {
      this.keys.set(name, undefined);
      return { key: '', inputs: [] };
    }
    const shadowCount = shadowCountFor(spec, this.resolved.manifestText, this.shadowModels);
    const key = await auditCacheKey({
      manifestText: this.resolved.manifestText, audit: name, attacks, files: auditInputFiles(spec),
      ...(shadowCount !== undefined ? { shadowCount } : {}),
    }, this.hasher);
    this.keys.set(name, key.key);
    return key;
  }

  known(): ReadonlyMap<string, string | undefined> {
    return this.keys;
  }
}

function manifestErrorsMessage(resolved: ResolvedTarget): string {
  const errors = resolved.problems.filter((p) => p.severity === 'error');
  const first = errors[0];
  const where = first ? ` (first, line ${first.range.start.line + 1}: ${first.message})` : '';
  return `${resolved.manifestFile}: the manifest has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} to audit${where}`;
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
