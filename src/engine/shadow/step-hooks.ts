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

/**
 * Hooks for a training thread: stop when the shared flag (Int32Array over a
 * SharedArrayBuffer, [0] != 0) is raised; sample counts batched and handed to `report`
 * at most every `intervalMs`, so progress messages stay few. `flush` sends the rest.
 */
export function sharedFlagHooks(stop: Int32Array, report: (samples: number) => void, intervalMs: number): { hooks: StepHooks; flush: () => void } {
  let pending = 0;
  let lastReport = Date.now();
  const flush = (): void => {
    if (pending > 0) report(pending);
    pending = 0;
    lastReport = Date.now();
  };
  const hooks: StepHooks = {
    throwIfStopped: () => {
      if (Atomics.load(stop, 0) !== 0) throw new StoppedError();
    },
    onSamples: (count) => {
      pending += count;
      if (Date.now() - lastReport >= intervalMs) flush();
    },
  };
  return { hooks, flush };
}

/** Hooks that never stop and ignore counts (tests, in-process use). */
export const NO_HOOKS: StepHooks = { throwIfStopped: () => undefined, onSamples: () => undefined };
