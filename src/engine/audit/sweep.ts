/**
 * Sweeping a workspace: every privacy-audit.json under a folder, audited through a
 * bounded queue. At most `concurrency` audits are in flight (default 1: each audit already
 * spreads its shadow training over the worker threads), each report is handed to
 * `onManifestDone` as soon as it is finished and then dropped, so memory does not grow
 * with the number of models: the sweep keeps per-audit summaries and findings only (full
 * reports, ROC curves and all, only with `keepReports`). A manifest that fails becomes a
 * finding and the others go on; cancelling stops the queued ones and keeps what finished.
 */
import { forEachBounded } from '../bounded';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { currentBackend } from '../backend';
import { InputError, isInputError } from '../errors';
import { MANIFEST_SEARCH_DEPTH, searchManifests } from '../manifest';
import { REPORT_SCHEMA_VERSION, type AuditReport, type AuditResult, type Finding } from '../report/schema';
import { auditTarget, type AuditOptions } from './audit-target';
import { CancelledError } from './progress';
import { relativeTo } from './run-audit';
import { TOOL_VERSION } from './version';

/** Folders never searched for manifests: dependencies, VCS, the engine's own caches and reports. */
export const SWEEP_EXCLUDED_FOLDERS: readonly string[] = ['node_modules', '.git', '.privacy-lint-cache', 'privacy-report', '.venv', 'venv', '__pycache__'];
/** More manifests than this under one folder is more likely a mistake (a copied dataset tree) than a model zoo. */
export const DEFAULT_MAX_MANIFESTS = 500;

export type SweepAuditFunction = (manifest: string, options: AuditOptions) => Promise<AuditReport>;

export interface SweepOptions extends Omit<AuditOptions, 'only' | 'onAuditDone'> {
  /** Audits in flight at once; default 1. */
  concurrency?: number;
  /** Folder names skipped at any depth; default SWEEP_EXCLUDED_FOLDERS. */
  exclude?: readonly string[];
  /** Manifests taken at most, in path order; the rest are named in a finding. Default DEFAULT_MAX_MANIFESTS. */
  maxManifests?: number;
  /** Directory entries the manifest search looks at before it stops (and says so); default 100,000. */
  maxEntries?: number;
  /** Keep every full report in the result (memory then grows with the number of models). */
  keepReports?: boolean;
  onManifestStart?: (manifest: string, index: number, total: number) => void;
  /** Each finished manifest's full report, as soon as it is done; awaited, so a slow writer holds the queue back. */
  onManifestDone?: (entry: SweepEntry, report: AuditReport) => void | Promise<void>;
  /** Audits one manifest; default auditTarget. Tests inject one to watch the queue. */
  audit?: SweepAuditFunction;
}

/** What a sweep keeps of one audit: enough for a table row, none of the curves. */
export interface SweepAuditSummary {
  name: string;
  /** Relative to the sweep's root. */
  model: string;
  members: number;
  nonMembers: number;
  accuracy: { members: number; nonMembers: number };
  /** Strongest attack by AUC, its AUC and its TPR at 0.1% FPR. */
  bestAttack?: string;
  auc?: number;
  tprAt01pctFpr?: number;
  attackErrors: { attack: string; message: string }[];
  durationMs: number;
}

export type SweepStatus = 'audited' | 'failed' | 'cancelled';

export interface SweepEntry {
  /** Manifest path relative to the sweep's root, with forward slashes. */
  manifest: string;
  /** audited: a report was produced (its findings may still name broken inputs); failed: the audit threw; cancelled: not run, or stopped. */
  status: SweepStatus;
  audits: SweepAuditSummary[];
  /** Locations relative to the sweep's root. */
  findings: Finding[];
  durationMs: number;
  /** Only with keepReports. */
  report?: AuditReport;
}

export interface SweepResult {
  root: string;
  /** Manifests found (before the cap). */
  found: number;
  /** One per manifest taken, in path order. */
  entries: SweepEntry[];
  /** Problems of the sweep itself (the cap). */
  findings: Finding[];
  cancelled: boolean;
  backend?: string;
}

export { forEachBounded } from '../bounded';

/** Manifests under `folder` outside excluded folders, sorted, and where the walk's bounds cut the search short. */
export function findSweepManifests(folder: string, exclude: readonly string[] = SWEEP_EXCLUDED_FOLDERS, maxEntries?: number): ReturnType<typeof searchManifests> {
  return searchManifests(folder, { skip: new Set(exclude), maxEntries });
}

export async function sweepWorkspace(folder: string, options: SweepOptions = {}): Promise<SweepResult> {
  const root = path.resolve(folder);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new InputError('no such folder', { file: folder });
  const wholeNumber = (field: 'concurrency' | 'maxManifests' | 'maxEntries', value: number): number => {
    if (!Number.isInteger(value) || value < 1) throw new InputError(`${field} must be a whole number >= 1, found ${value}`, { file: folder, field });
    return value;
  };
  const concurrency = wholeNumber('concurrency', options.concurrency ?? 1);
  const maxManifests = wholeNumber('maxManifests', options.maxManifests ?? DEFAULT_MAX_MANIFESTS);
  if (options.maxEntries !== undefined) wholeNumber('maxEntries', options.maxEntries);
  const exclude = options.exclude ?? SWEEP_EXCLUDED_FOLDERS;

  const search = findSweepManifests(root, exclude, options.maxEntries);
  const found = search.manifests;
  if (found.length === 0) {
    const incomplete = incompleteSearchFindings(root, search).map((f) => `; ${f.message}`).join('');
    throw new InputError(`no privacy-audit.json under this folder (folders named ${exclude.join(', ')} are not searched)${incomplete}`, { file: folder });
  }
  const manifests = found.slice(0, maxManifests);
  const result: SweepResult = { root, found: found.length, entries: [], findings: [], cancelled: false };
  if (found.length > maxManifests) result.findings.push(capFinding(root, found, maxManifests));
  result.findings.push(...incompleteSearchFindings(root, search));

  // Our own controller: a failing callback must stop the queue as a cancel does.
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const audit = options.audit ?? auditTarget;
  const entries: (SweepEntry | undefined)[] = new Array(manifests.length);
  let callbackError: { error: unknown } | undefined;

  try {
    await forEachBounded(manifests, concurrency, () => controller.signal.aborted, async (file, index) => {
      const manifest = relativeTo(root, file);
      options.onManifestStart?.(manifest, index, manifests.length);
      const started = Date.now();
      const finishedAudits: AuditResult[] = [];
      let report: AuditReport | undefined;
      let status: SweepStatus = 'audited';
      try {
        report = await audit(file, {
          backend: options.backend,
          attacks: options.attacks,
          cacheDir: options.cacheDir,
          workers: options.workers,
          queueUrl: options.queueUrl,
          // Every manifest's files stay inside the swept folder unless the user said otherwise.
          workspaceRoot: options.workspaceRoot ?? root,
          allowOutsideWorkspace: options.allowOutsideWorkspace,
          onProgress: options.onProgress,
          signal: controller.signal,
          onAuditDone: (r) => finishedAudits.push(r),
        });
      } catch (e) {
        if (e instanceof CancelledError || controller.signal.aborted) {
          status = 'cancelled';
        } else {
          status = 'failed';
          report = failureReport(file, e);
        }
      }
      const entry: SweepEntry = {
        manifest,
        status,
        // A cancelled manifest keeps the audits it finished before the cancel.
        audits: (report?.audits ?? finishedAudits).map((a) => summarizeAudit(a, report?.root ?? path.dirname(file), root)),
        findings: report ? report.findings.map((f) => rebaseFinding(f, report!.root, root)) : [],
        durationMs: Date.now() - started,
      };
      if (report && options.keepReports) entry.report = report;
      if (report?.backend && status === 'audited') result.backend ??= report.backend;
      entries[index] = entry;
      if (report && options.onManifestDone && !callbackError) {
        try {
          await options.onManifestDone(entry, report);
        } catch (error) {
          callbackError = { error };
          controller.abort();
        }
      }
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (callbackError) throw callbackError.error;
  result.cancelled = controller.signal.aborted;
  result.entries = manifests.map((file, i) => entries[i] ?? { manifest: relativeTo(root, file), status: 'cancelled', audits: [], findings: [], durationMs: 0 });
  return result;
}

function summarizeAudit(audit: AuditResult, reportRoot: string, sweepRoot: string): SweepAuditSummary {
  const summary: SweepAuditSummary = {
    name: audit.name,
    model: rebasePath(audit.model, reportRoot, sweepRoot),
    members: audit.members.count,
    nonMembers: audit.nonMembers.count,
    accuracy: { ...audit.accuracy },
    attackErrors: audit.errors.map((e) => ({ ...e })),
    durationMs: audit.durationMs,
  };
  if (audit.attacks.length > 0) {
    const best = audit.attacks.reduce((a, b) => (b.metrics.auc > a.metrics.auc ? b : a));
    summary.bestAttack = best.id;
    summary.auc = best.metrics.auc;
    summary.tprAt01pctFpr = best.metrics.tprAtFpr['0.001'].tpr;
  }
  return summary;
}

/** A report path (relative to its manifest's folder, or absolute) made relative to the sweep's root. */
function rebasePath(file: string, reportRoot: string, sweepRoot: string): string {
  return relativeTo(sweepRoot, path.resolve(reportRoot, file));
}

function rebaseFinding(f: Finding, reportRoot: string, sweepRoot: string): Finding {
  return {
    ...f,
    location: { ...f.location, file: rebasePath(f.location.file, reportRoot, sweepRoot) },
    related: f.related.map((r) => ({ ...r, file: rebasePath(r.file, reportRoot, sweepRoot) })),
  };
}

/** The report of a manifest whose audit threw: one finding saying why, so it shows up like any broken input. */
function failureReport(file: string, e: unknown): AuditReport {
  const root = path.dirname(file);
  const message = isInputError(e) ? e.message : `the audit of this manifest stopped with an internal error: ${(e as Error)?.message ?? String(e)}`;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'privacy-lint', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    backend: currentBackend()?.name ?? 'none',
    manifest: path.basename(file),
    root,
    audits: [],
    findings: [{ rule: 'invalid-input', severity: 'high', message, location: { file: path.basename(file) }, related: [] }],
  };
}

/** The walk's bounds, said out loud: a sweep that silently missed manifests would pass CI it should fail. */
function incompleteSearchFindings(root: string, search: ReturnType<typeof searchManifests>): Finding[] {
  const findings: Finding[] = [];
  if (search.entryLimit !== undefined) {
    findings.push({
      rule: 'invalid-input',
      severity: 'high',
      message: `the search for privacy-audit.json stopped after looking at ${search.entryLimit.toLocaleString('en-US')} folder entries: manifests further on in path order were not found. Sweep a subfolder, or exclude bulky folders (data, caches).`,
      location: { file: '.' },
      related: [],
      data: { entryLimit: search.entryLimit },
    });
  }
  if (search.tooDeep.length > 0) {
    const shown = search.tooDeep.slice(0, 3).map((d) => relativeTo(root, d));
    findings.push({
      rule: 'invalid-input',
      severity: 'medium',
      message: `${search.tooDeep.length} folder${search.tooDeep.length === 1 ? ' lies' : 's lie'} deeper than ${MANIFEST_SEARCH_DEPTH} levels and ${search.tooDeep.length === 1 ? 'was' : 'were'} not searched for privacy-audit.json: ${shown.join(', ')}${search.tooDeep.length > shown.length ? ', ...' : ''}. Sweep a deeper folder to include them.`,
      location: { file: '.' },
      related: [],
      data: { maxDepth: MANIFEST_SEARCH_DEPTH, folders: search.tooDeep.length },
    });
  }
  return findings;
}

function capFinding(root: string, found: readonly string[], max: number): Finding {
  const skipped = found.length - max;
  return {
    rule: 'invalid-input',
    severity: 'high',
    message: `found ${found.length} privacy-audit.json files, more than the sweep's limit of ${max}: audited the first ${max} in path order and skipped ${skipped}, from ${relativeTo(root, found[max])} on. Raise the limit (--max-manifests) or sweep a subfolder.`,
    location: { file: '.' },
    related: [],
    data: { found: found.length, limit: max, skipped },
  };
}
