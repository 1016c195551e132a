/**
 * Turns LSP cancellation (a request's token, a server-initiated progress's Cancel button)
 * and CancelAllNotification into the AbortSignal the scheduler and worker understand.
 */
import type { CancellationToken, Disposable } from 'vscode-languageserver';

export interface RequestCancellation {
  signal: AbortSignal;
  dispose(): void;
}

export class CancellationHub {
  private readonly active = new Set<AbortController>();

  /** A signal that aborts when any of the tokens is cancelled or on cancelAll(). */
  open(...tokens: (CancellationToken | undefined)[]): RequestCancellation {
    const controller = new AbortController();
    this.active.add(controller);
    const subscriptions: Disposable[] = [];
    for (const token of tokens) {
      if (!token) continue;
      if (token.isCancellationRequested) controller.abort();
      subscriptions.push(token.onCancellationRequested(() => controller.abort()));
    }
    return {
      signal: controller.signal,
      dispose: () => {
        for (const s of subscriptions) s.dispose();
        this.active.delete(controller);
      },
    };
  }

  /** Aborts every open request; returns how many there were. */
  cancelAll(): number {
    const count = this.active.size;
    for (const controller of this.active) controller.abort();
    return count;
  }
}
