/** What a trainer calls between steps: cancellation and sample counting. */
export interface StepHooks {
  /** Throws StoppedError when the run was cancelled; called before every step. */
  throwIfStopped(): void;
  /** Training samples just processed (for samples/s and ETA). */
  onSamples(count: number): void;
}

/** Thrown inside a worker when the run is cancelled; the pool turns it into CancelledError. */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
  constructor() {
    super('shadow training was stopped');
  }
}

/** Hooks that never stop and ignore counts (tests, in-process use). */
export const NO_HOOKS: StepHooks = { throwIfStopped: () => undefined, onSamples: () => undefined };
