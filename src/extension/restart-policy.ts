/**
 * How often a crashed engine is restarted by itself: at most `maxRestarts` crashes within
 * `windowMs`. A server that keeps dying (a broken install, a model that crashes the
 * native backend on load) must stop being restarted, or it would loop forever and hide
 * the error; then the user decides, with the log at hand.
 */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    private readonly maxRestarts = 4,
    private readonly windowMs = 3 * 60 * 1000,
  ) {}

  /** Records a crash at `now`; true when the engine may be restarted automatically. */
  crashed(now: number): boolean {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length <= this.maxRestarts;
  }

  /** A restart the user asked for starts a fresh count. */
  reset(): void {
    this.crashes = [];
  }
}
