/**
 * Turns LSP cancellation (a request's token, a server-initiated progress's Cancel button)
 * and CancelAllNotification into the AbortSignal the scheduler and worker understand.
 */
import type { CancellationToken, Disposable } from 'vscode-languageserver';

export interface RequestCancellation {
  signal: AbortSignal;
  /** Also abort when this token is cancelled (one known only later, like a progress's). */
  follow(token: CancellationToken | undefined): void;
  dispose(): void;
}

export class CancellationHub {
  private readonly active = new Set<AbortController>();

  /** A signal that aborts when any of the tokens is cancelled or on cancelAll(). */
  open(...tokens: (CancellationToken | undefined)[]): RequestCancellation {
    const controller = new AbortController();
    this.active.add(controller);
    const subscriptions: Disposable[] = [];
    const follow = (token: CancellationToken | undefined) => {
      if (!token) return;
      if (token.isCancellationRequested) controller.abort();
      subscriptions.push(token.onCancellationRequested(() => controller.abort()));
    };
    tokens.forEach(follow);
    return {
      signal: controller.signal,
      follow,
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

export const ABORTED = Symbol('aborted');

/**
 * Settles with the work's value, or with ABORTED as soon as the signal aborts (the work
 * goes on unobserved; use it only for work that is safe to finish late, like hashing).
 */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
