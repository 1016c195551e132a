/**
 * Audit results kept across sessions, so a reopened workspace shows its findings at once
 * and a re-audit skips audits whose inputs did not change.
 *
 * One entry per report key (a manifest, or a folder audited from a proposed manifest),
 * with one part per audit. An audit's key is a SHA-256 over the engine version, the
 * manifest text, the attack override and the contents of every file the audit reads;
 * the part is reused only while that key is unchanged. Entries are JSON files written
 * atomically (temp file + rename) and read defensively: a corrupt file is logged and ignored.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TOOL_VERSION } from '../engine/audit/version';
import type { AuditReport, AuditResult, Finding } from '../engine/report/schema';
import { RULES, SEVERITY_ORDER } from '../shared/rules';
import type { FileFingerprint, FileHasher } from './file-hasher';
import { errorMessage, type Log } from './log';
import { pathKey } from './uris';
import { temporaryName } from '../engine/cache-temporaries';

export const CACHE_FORMAT_VERSION = 1;
const TEMP_SUFFIX = '.tmp';
/** Temp files older than this at startup were left by a crash mid-write. */
const ORPHAN_TEMP_AGE_MS = 60_000;

export interface AuditKeyInput {
  manifestText: string;
  audit: string;
  /** The request's attack list when it replaces the manifest's. */
  attacks?: readonly string[];
  /** Every file the audit reads (see input-files.ts). */
  files: readonly string[];
  /** The shadow count the modelPrivacy.shadowModels setting gives the audit, when it applies. */
  shadowCount?: number;
}

export interface AuditKey {
  key: string;
  inputs: FileFingerprint[];
}

/**
 * Bump when the engine computes different results from the same inputs, so cached results
 * are recomputed instead of shown as fresh (2: RelaxLoss by epoch, recommendation within
 * the policy, defense notes; 3: default attacks include shadow-model attacks when there
 * is population data, and results say what their verdict rests on).
 */
export const AUDIT_RESULTS_REVISION = 3;

export async function auditCacheKey(input: AuditKeyInput, hasher: FileHasher, engineVersion = TOOL_VERSION): Promise<AuditKey> {
  const inputs = await Promise.all(input.files.map((f) => hasher.fingerprint(f)));
  const material = JSON.stringify({
    engineVersion,
    resultsRevision: AUDIT_RESULTS_REVISION,
    manifestText: input.manifestText,
    audit: input.audit,
    attacks: input.attacks ?? null,
    shadowCount: input.shadowCount ?? null,
    files: inputs.map((f) => [f.path, f.sha256]),
  });
  return { key: createHash('sha256').update(material).digest('hex'), inputs };
}

export type ReportHeader = Omit<AuditReport, 'audits' | 'findings'>;

export interface CachedAudit {
  name: string;
  /** Absolute path of the audited model (also known when the audit produced no result). */
  model: string;
  key: string;
  inputs: FileFingerprint[];
  /** The attack list that replaced the manifest's, when one did (part of the key). */
  attacks?: string[];
  /** Absent when the audit stopped on an input problem (its findings say which). */
  result?: AuditResult;
  findings: Finding[];
}

export interface CacheEntry {
  formatVersion: typeof CACHE_FORMAT_VERSION;
  reportKey: string;
  header: ReportHeader;
  /** Findings about the manifest as a whole (warnings), from the latest run. */
  manifestFindings: Finding[];
  /** In manifest order. */
  audits: CachedAudit[];
}

/** The full report an entry stands for. */
export function reportOf(entry: CacheEntry): AuditReport {
  return {
    ...entry.header,
    audits: entry.audits.flatMap((a) => (a.result ? [a.result] : [])),
    findings: [...entry.manifestFindings, ...entry.audits.flatMap((a) => a.findings)],
  };
}

export interface EntryUpdate {
  reportKey: string;
  header: ReportHeader;
  manifestFindings?: Finding[];
  /** Audits just finished. */
  audits: CachedAudit[];
  /** The manifest's audit names now; parts of audits no longer in it are dropped. */
  manifestAudits: readonly string[];
}

/** New parts replace old ones of the same audit; the rest of the previous entry is kept. */
export function mergeEntry(previous: CacheEntry | undefined, update: EntryUpdate): CacheEntry {
  const parts = new Map<string, CachedAudit>();
  for (const a of previous?.audits ?? []) parts.set(a.name, a);
  for (const a of update.audits) parts.set(a.name, a);
  return {
    formatVersion: CACHE_FORMAT_VERSION,
    reportKey: update.reportKey,
    header: update.header,
    manifestFindings: update.manifestFindings ?? previous?.manifestFindings ?? [],
    audits: update.manifestAudits.flatMap((name) => {
      const part = parts.get(name);
      return part ? [part] : [];
    }),
  };
}

/** Audits of the entry whose current key differs from the cached one (undefined = the audit is gone or unreadable). */
export function staleAudits(entry: CacheEntry, currentKeys: ReadonlyMap<string, string | undefined>): Set<string> {
  return new Set(entry.audits.filter((a) => currentKeys.get(a.name) !== a.key).map((a) => a.name));
}

export class ResultCache {
  private readonly entries = new Map<string, CacheEntry>();

  /** `dir` undefined: no storage folder was given; results live in memory only. */
  constructor(private readonly dir: string | undefined, private readonly log: Log) {}

  get(reportKey: string): CacheEntry | undefined {
    const key = pathKey(reportKey);
    const known = this.entries.get(key);
    if (known) return known;
    const loaded = this.dir !== undefined ? this.read(this.fileOf(reportKey)) : undefined;
    if (loaded && pathKey(loaded.reportKey) === key) {
      this.entries.set(key, loaded);
      return loaded;
    }
    return undefined;
  }

  /** The cached part of `audit` when it was computed from inputs with this key. */
  lookup(reportKey: string, audit: string, key: string): CachedAudit | undefined {
    const part = this.get(reportKey)?.audits.find((a) => a.name === audit);
    return part?.key === key ? part : undefined;
  }

  /** Keeps the entry in memory and writes it; a failed write is logged, the results stay usable. */
  put(entry: CacheEntry): void {
    this.entries.set(pathKey(entry.reportKey), entry);
    if (this.dir === undefined) return;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      writeFileAtomic(this.fileOf(entry.reportKey), JSON.stringify(entry));
    } catch (e) {
      this.log.warn(`Could not save audit results for ${entry.reportKey}: ${errorMessage(e)}`);
    }
  }

  /** Every readable entry on disk (startup), after removing temp files left by a crash. */
  loadAll(): CacheEntry[] {
    if (this.dir === undefined) return [...this.entries.values()];
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [...this.entries.values()];
    }
    for (const name of names) {
      const file = path.join(this.dir, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        removeOrphanTemp(file);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const entry = this.read(file);
      if (entry && !this.entries.has(pathKey(entry.reportKey))) this.entries.set(pathKey(entry.reportKey), entry);
    }
    return [...this.entries.values()];
  }

  private fileOf(reportKey: string): string {
    const name = createHash('sha256').update(pathKey(reportKey)).digest('hex').slice(0, 32);
    return path.join(this.dir!, `${name}.json`);
  }

  private read(file: string): CacheEntry | undefined {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`Ignoring unreadable cached results ${file}: ${errorMessage(e)}`);
      return undefined;
    }
    try {
      const value: unknown = JSON.parse(text);
      if (isCacheEntry(value)) return value;
      this.log.warn(`Ignoring cached results ${file}: not a result cache entry of format ${CACHE_FORMAT_VERSION}`);
    } catch (e) {
      this.log.warn(`Ignoring corrupt cached results ${file}: ${errorMessage(e)}`);
    }
    return undefined;
  }
}

/** Readers see the old file or the new one, never half of one. */
export function writeFileAtomic(file: string, text: string): void {
  const temp = temporaryName(file);
  try {
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, file);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
}

function removeOrphanTemp(file: string): void {
  try {
    if (Date.now() - fs.statSync(file).mtimeMs > ORPHAN_TEMP_AGE_MS) fs.rmSync(file, { force: true });
  } catch {
    // Another process may have just renamed or removed it.
  }
}

/** Shape check of what JSON.parse returned; deep enough that later code cannot trip on it. */
function isCacheEntry(v: unknown): v is CacheEntry {
  if (!isObject(v) || v.formatVersion !== CACHE_FORMAT_VERSION || typeof v.reportKey !== 'string') return false;
  if (!isObject(v.header) || typeof v.header.root !== 'string') return false;
  if (!Array.isArray(v.manifestFindings) || !v.manifestFindings.every(isFinding)) return false;
  return Array.isArray(v.audits) && v.audits.every(isCachedAudit);
}

function isCachedAudit(a: unknown): boolean {
  if (!isObject(a) || typeof a.name !== 'string' || typeof a.model !== 'string' || typeof a.key !== 'string' || !Array.isArray(a.inputs)) return false;
  if (!Array.isArray(a.findings) || !a.findings.every(isFinding)) return false;
  if (a.attacks !== undefined && !(Array.isArray(a.attacks) && a.attacks.every((x) => typeof x === 'string'))) return false;
  return a.result === undefined || (isObject(a.result) && typeof a.result.name === 'string' && Array.isArray(a.result.attacks));
}

function isFinding(f: unknown): boolean {
  return isObject(f) && typeof f.rule === 'string' && f.rule in RULES && typeof f.severity === 'string' && f.severity in SEVERITY_ORDER &&
    typeof f.message === 'string' && isObject(f.location) && typeof f.location.file === 'string' && Array.isArray(f.related);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
