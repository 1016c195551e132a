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

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** A cancelled audit's error (ours, or an AbortError from below), or any error once the signal fired. */
export function isCancellation(e: unknown, signal?: AbortSignal): boolean {
  const name = (e as Error | undefined)?.name;
  return name === 'CancelledError' || name === 'AbortError' || signal?.aborted === true;
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('The audit was cancelled');
  }
}
