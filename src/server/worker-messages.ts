/**
 * Messages between the server's event loop and the audit worker thread. Structured
 * clone carries them, so they are plain data; both sides import these types.
 */
import type { AuditProgress } from '../engine/audit/progress';
import type { AuditReport } from '../engine/report/schema';
import type { EngineSettings } from '../shared/protocol';

export interface RunAuditJob {
  type: 'run';
  jobId: number;
  /** The manifest file, or for a proposed manifest the file it would have (never read). */
  manifestFile: string;
  /** The exact text the server hashed for the cache key, so key and audit always agree. */
  manifestText: string;
  proposed: boolean;
  /** Folder relative paths in the report are relative to. */
  root: string;
  /** modelPrivacy.allowOutsideWorkspace: manifest paths may leave the workspace root. */
  allowOutsideWorkspace?: boolean;
  /** Folder manifest paths must resolve inside (the workspace folder holding the manifest); absent: the manifest's folder. */
  workspaceRoot?: string;
  /** Audit names to run, in order. */
  audits: string[];
  attacks?: string[];
  backend: EngineSettings['backend'];
  /** Shadow-training threads (0 = one per core). */
  workers: number;
  /** Redis URL of the shadow-training queue; absent = train locally. */
  queueUrl?: string;
  /** Shadow-model cache in the extension's storage, so training leaves nothing in the workspace. */
  shadowCacheDir?: string;
  /**
   * modelPrivacy.shadowModels: reference models for the audits it applies to (those with
   * the default attacks and no shadow.count, see shadow-count.ts); absent = the engine's default.
   */
  shadowModels?: number;
}

export interface CancelJob {
  type: 'cancel';
  jobId: number;
}

export type ToWorker = RunAuditJob | CancelJob;

export type FromWorker =
  | { type: 'progress'; jobId: number; index: number; count: number; progress: AuditProgress }
  /** One audit finished: a complete report of that audit alone (findings included). */
  | { type: 'auditDone'; jobId: number; audit: string; report: AuditReport }
  /**
   * One audit's threshold attacks are done while its shadow-model attacks still run: a
   * report of that audit alone whose result is marked `preliminary`; its auditDone replaces it.
   */
  | { type: 'auditPreliminary'; jobId: number; audit: string; report: AuditReport }
  | { type: 'finished'; jobId: number }
  | { type: 'cancelled'; jobId: number }
  /** `input`: the user's files were the problem (message says where), not the engine. */
  | { type: 'failed'; jobId: number; message: string; input: boolean; stack?: string };
