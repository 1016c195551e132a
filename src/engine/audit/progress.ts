/** How a long audit talks back: progress events and cancellation (a standard AbortSignal). */
export interface AuditProgress {
  audit: string;
  /** What is happening now, in a few words ("loading data", "attack loss-threshold"). */
  stage: string;
  /** Steps finished and total steps of this audit. */
  done: number;
  total: number;
}

export interface AuditHooks {
  signal?: AbortSignal;
  onProgress?: (p: AuditProgress) => void;
  /** Called with each audit's result as soon as it is finished, so nothing done is lost on cancel. */
  onAuditDone?: (result: import('../report/schema').AuditResult) => void;
  /**
   * Called once per audit that runs slow (shadow-model, label-only, white-box) attacks, as
   * soon as its threshold attacks are done: a result marked `preliminary`, which the final
   * one replaces.
   */
  onPreliminary?: (run: import('./run-audit').AuditRun) => void;
}

// Cancellation lives below every layer that checks it; re-exported for the audit's callers.
export { CancelledError, isCancellation, throwIfCancelled } from '../cancellation';
