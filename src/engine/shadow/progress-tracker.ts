/**
 * Progress of a shadow run as the caller sees it: models done (cached ones count as
 * done from the start), training samples per second of wall time, and the time left at
 * that rate. Reports are throttled except when a model finishes.
 */
export interface ShadowProgress {
  /** Shadow models finished (cached ones included) and in total. */
  done: number;
  total: number;
  samplesPerSecond: number;
  /** Seconds left at the current rate; NaN until the first samples are in. */
  etaSeconds: number;
}

const REPORT_INTERVAL_MS = 250;

export class ProgressTracker {
  private samples = 0;
  private lastReport = 0;
  private readonly started = Date.now();

  constructor(
    private done: number,
    private readonly total: number,
    private readonly samplesTotal: number,
    private readonly onProgress: ((p: ShadowProgress) => void) | undefined,
  ) {
    this.report(true);
  }

  addSamples(count: number): void {
    this.samples += count;
    this.report(false);
  }

  modelDone(): void {
    this.done++;
    this.report(true);
  }

  /** Samples per second of wall time since the tracker was made. */
  rate(): number {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? this.samples / seconds : 0;
  }

  private report(force: boolean): void {
    const now = Date.now();
    if (this.onProgress === undefined || (!force && now - this.lastReport < REPORT_INTERVAL_MS)) return;
    this.lastReport = now;
    const rate = this.rate();
    this.onProgress({
      done: this.done,
      total: this.total,
      samplesPerSecond: rate,
      etaSeconds: rate > 0 ? (this.samplesTotal - this.samples) / rate : Number.NaN,
    });
  }
}
