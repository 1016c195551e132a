/**
 * Cancellation through a standard AbortSignal, for every layer that runs long (shadow
 * training, the queue, defenses, the audit). A leaf module, so the pieces need not
 * import the audit orchestrator to stop.
 */
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
