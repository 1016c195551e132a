/**
 * Runs an engine request under a cancellable progress notification: the request carries
 * a workDoneToken so the engine's progress shows there, and a cancellation token, so the
 * notification's Cancel button and the Cancel command both reach the engine
 * ($/cancelRequest). Keeps count of what is running, for the isAuditing context key.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { LSPErrorCodes, ResponseError, WorkDoneProgress, type RequestType, type WorkDoneProgressParams } from 'vscode-languageserver-protocol';
import { ProgressIncrements } from './progress-increments';

export const CANCELLED = Symbol('cancelled');

/** The engine's last work-done report for a running request. */
export interface RunProgress {
  title: string;
  message?: string;
  percentage?: number;
}

export class AuditRuns implements vscode.Disposable {
  private readonly sources = new Set<vscode.CancellationTokenSource>();
  private lastProgress: RunProgress | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  get active(): number {
    return this.sources.size;
  }

  /** What the engine last reported about a running request; undefined when none runs. */
  get progress(): RunProgress | undefined {
    return this.sources.size > 0 ? this.lastProgress : undefined;
  }

  /** Cancels every request started here; returns how many there were. */
  cancelAll(): number {
    const count = this.sources.size;
    for (const source of this.sources) source.cancel();
    return count;
  }

  run<P extends WorkDoneProgressParams, R>(
    client: LanguageClient,
    type: RequestType<P, R, void>,
    params: P,
    title: string,
  ): Thenable<R | typeof CANCELLED> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const source = new vscode.CancellationTokenSource();
      const link = token.onCancellationRequested(() => source.cancel());
      const workDoneToken = randomUUID();
      const increments = new ProgressIncrements();
      const progressSubscription = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
        if (value.kind === 'end') return;
        this.lastProgress = { title, ...(value.message !== undefined ? { message: value.message } : {}), ...(value.percentage !== undefined ? { percentage: value.percentage } : {}) };
        const increment = increments.next(value.percentage);
        progress.report({ ...(value.message !== undefined ? { message: value.message } : {}), ...(increment !== undefined ? { increment } : {}) });
      });
      // A new run has no progress yet; the last run's must not pass for it.
      this.lastProgress = { title };
      this.sources.add(source);
      this.changed.fire();
      try {
        return await client.sendRequest(type, { ...params, workDoneToken }, source.token);
      } catch (e) {
        if (source.token.isCancellationRequested && e instanceof ResponseError && e.code === LSPErrorCodes.RequestCancelled) return CANCELLED;
        throw e;
      } finally {
        this.sources.delete(source);
        progressSubscription.dispose();
        link.dispose();
        source.dispose();
        this.changed.fire();
      }
    });
  }

  dispose(): void {
    this.cancelAll();
    this.changed.dispose();
  }
}
