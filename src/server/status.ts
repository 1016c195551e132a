/** The engine's state for the client's status item; every change is pushed as StatusNotification. */
import type { AuditSummary, EngineState, EngineStatus } from '../shared/protocol';

export class StatusTracker {
  private ready = false;
  private backend: string | undefined;
  /** job id -> the audit it is running now. */
  private readonly running = new Map<number, string>();
  private errorMessage: string | undefined;
  private lastSummary: AuditSummary | undefined;
  /** job id -> audit -> its preliminary verdict, while the job runs. */
  private readonly preliminary = new Map<number, Map<string, AuditSummary>>();

  constructor(private readonly notify: (status: EngineStatus) => void) {}

  get(): EngineStatus {
    const status: EngineStatus = { state: this.state(), running: [...new Set(this.running.values())] };
    if (this.backend !== undefined) status.backend = this.backend;
    if (this.errorMessage !== undefined) status.message = this.errorMessage;
    if (this.lastSummary !== undefined) status.lastSummary = this.lastSummary;
    const preliminary = [...this.preliminary.values()].flatMap((m) => [...m.values()]);
    if (preliminary.length) status.preliminary = preliminary;
    return status;
  }

  markReady(): void {
    this.ready = true;
    this.changed();
  }

  auditRunning(jobId: number, audit: string): void {
    if (this.running.get(jobId) === audit) return;
    this.running.set(jobId, audit);
    this.changed();
  }

  /** A running audit's threshold attacks gave a verdict; its shadow-model attacks still run. */
  auditPreliminary(jobId: number, summary: AuditSummary): void {
    let audits = this.preliminary.get(jobId);
    if (!audits) this.preliminary.set(jobId, (audits = new Map()));
    audits.set(summary.audit, summary);
    this.changed();
  }

  /** The audit's final result arrived: its preliminary verdict is no longer news. */
  auditDone(jobId: number, audit: string): void {
    if (this.preliminary.get(jobId)?.delete(audit)) this.changed();
  }

  jobEnded(jobId: number, outcome: { error?: string; backend?: string; lastSummary?: AuditSummary }): void {
    this.running.delete(jobId);
    this.preliminary.delete(jobId);
    // A later success clears an earlier failure; the log keeps the details.
    this.errorMessage = outcome.error;
    if (outcome.backend !== undefined) this.backend = outcome.backend;
    if (outcome.lastSummary !== undefined) this.lastSummary = outcome.lastSummary;
    this.changed();
  }

  private state(): EngineState {
    if (!this.ready) return 'starting';
    if (this.running.size > 0) return 'auditing';
    return this.errorMessage !== undefined ? 'error' : 'idle';
  }

  private changed(): void {
    this.notify(this.get());
  }
}
