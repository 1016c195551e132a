/**
 * The typed protocol between the extension (client) and the engine process (server),
 * imported by both sides so a message cannot be sent with the wrong shape. Standard LSP
 * carries diagnostics, progress and cancellation; these are the custom messages.
 */
import { NotificationType, RequestType, RequestType0, type WorkDoneProgressParams } from 'vscode-languageserver-protocol';
import type { AuditReport } from '../engine/report/schema';
import type { Severity } from './rules';

/** What the extension passes to the server at start (initializationOptions). */
export interface InitializationOptions {
  /** Folder for the result cache (the extension's workspace storage). */
  storagePath: string;
  settings: EngineSettings;
  /**
   * Workspace Trust. The client already withholds audits in Restricted Mode; the server
   * also refuses AuditRequest and SweepRequest when this is false (defence in depth).
   */
  trusted: boolean;
  /**
   * Base the rule documentation paths (ruleDocPath) are appended to for a diagnostic's
   * codeDescription.href, e.g. the extension's folder as a file URI with a trailing slash.
   * Without it diagnostics carry no documentation link.
   */
  docsBaseUri?: string;
}

export interface EngineSettings {
  /** Read once at start: a change takes a new engine process. */
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Worker threads for training (0 = one per core). Read once at start, as backend. */
  workers: number;
  /** Redis URL of a BullMQ queue whose `privacy-lint worker`s train shadow models; '' or absent = train locally. Applied at once. */
  queueUrl?: string;
  /** Attacks a sweep runs when a manifest lists none; empty = the engine's defaults. */
  sweepAttacks: string[];
  /**
   * Reference (shadow) models trained by audits whose manifest lists no attacks (the
   * default attacks) and sets no shadow.count; 2-1024, absent = the engine's default (8). Applied at once.
   */
  shadowModels?: number;
  /** Policy applied to detected models audited without a manifest. */
  defaultPolicy: { maxTprAtFpr: number; fpr: number; maxAuc: number };
  exclude: string[];
  /**
   * modelPrivacy.allowOutsideWorkspace (machine scope, never a workspace or manifest
   * setting): manifest paths may resolve outside the manifest's folder. Absent = false. Applied at once.
   */
  allowOutsideWorkspace?: boolean;
}

/** workDoneToken: a token the client created, so the audit's progress shows in its UI. */
export interface AuditParams extends WorkDoneProgressParams {
  /** Absolute path of a manifest, a model.json or a folder. */
  target: string;
  /** Run only these audits of the manifest. */
  audits?: string[];
  /** Replace the manifest's attack list. */
  attacks?: string[];
}

export interface AuditSummary {
  /**
   * Key under which ReportRequest finds this audit's report: the manifest's path, or for a
   * model audited without a manifest the folder the manifest was proposed for.
   */
  reportKey: string;
  manifest?: string;
  audit: string;
  model: string;
  /** Strongest attack by AUC and its numbers. */
  bestAttack?: string;
  auc?: number;
  tprAt01pctFpr?: number;
  severity?: Severity;
  findings: number;
  stale: boolean;
  /**
   * The verdict rests on the threshold attacks alone while the audit's shadow-model
   * attacks run (or were cancelled): the final result replaces it. Never cached.
   */
  preliminary?: boolean;
}

export interface AuditOutcome {
  /** Key under which getReport finds the full report (the manifest path or target). */
  reportKey: string;
  summaries: AuditSummary[];
  cancelled: boolean;
  /** Audits answered from the result cache because none of their inputs changed. */
  fromCache: string[];
  /** Input problems that stopped an audit, already published as diagnostics. */
  errors: string[];
}

export interface SweepParams extends WorkDoneProgressParams {
  /** Manifests and models found by the extension's detection. */
  targets: string[];
  attacks?: string[];
}

export type EngineState = 'starting' | 'idle' | 'auditing' | 'error';

export interface EngineStatus {
  state: EngineState;
  backend?: string;
  /** Names of the audits running now. */
  running: string[];
  message?: string;
  lastSummary?: AuditSummary;
  /** Preliminary verdicts of the audits running now (their shadow-model attacks still train). */
  preliminary?: AuditSummary[];
}

export interface ReportParams {
  reportKey: string;
}

export interface ProposeManifestParams {
  folder: string;
}

export interface ProposeManifestResult {
  text: string;
  audits: number;
}

export const AuditRequest = new RequestType<AuditParams, AuditOutcome, void>('modelPrivacy/audit');
export const SweepRequest = new RequestType<SweepParams, AuditOutcome[], void>('modelPrivacy/sweep');
/** Cancels every audit in flight; finished audits keep their results. */
export const CancelAllNotification = new NotificationType<void>('modelPrivacy/cancelAll');
/**
 * The user changed settings: the full new EngineSettings. The server applies the default
 * policy, sweep attacks and exclude at once; backend and workers only at its next start.
 */
export const DidChangeEngineSettingsNotification = new NotificationType<EngineSettings>('modelPrivacy/didChangeSettings');
export const StatusRequest = new RequestType0<EngineStatus, void>('modelPrivacy/status');
export const StatusNotification = new NotificationType<EngineStatus>('modelPrivacy/statusChanged');
export const ReportRequest = new RequestType<ReportParams, AuditReport | null, void>('modelPrivacy/report');
/**
 * Sent after an audit finishes or cached results are loaded, so views can refresh.
 * Carries the summaries of every audit the server has results for, not only the changed ones.
 */
export const ResultsChangedNotification = new NotificationType<{ summaries: AuditSummary[] }>('modelPrivacy/resultsChanged');
export const ProposeManifestRequest = new RequestType<ProposeManifestParams, ProposeManifestResult, void>('modelPrivacy/proposeManifest');
export const SummariesRequest = new RequestType0<AuditSummary[], void>('modelPrivacy/summaries');

/**
 * Static scans of the workspace's model and data files (pickles, checkpoints, NPY/NPZ,
 * safetensors, Keras). The list replaces the previous one: files no longer listed lose
 * their scan diagnostics. Scanning reads bytes only; nothing is loaded or run.
 */
export interface ScanArtifactsParams {
  /** Absolute paths of the candidate files detection found. */
  files: string[];
}

export interface ArtifactScanSummary {
  file: string;
  format: string;
  pickleBased: boolean;
  /** Findings published as errors and as warnings. */
  errors: number;
  warnings: number;
}

export interface ScanArtifactsResult {
  summaries: ArtifactScanSummary[];
  /** Files that could not be read (deleted since detection, permissions), with why. */
  unreadable: { file: string; message: string }[];
}

export const ScanArtifactsRequest = new RequestType<ScanArtifactsParams, ScanArtifactsResult, void>('modelPrivacy/scanArtifacts');
