/**
 * LSP work-done progress reports an absolute percentage; VS Code's Progress wants the
 * increment since the last report. Pure; never goes backwards.
 */
export class ProgressIncrements {
  private last = 0;

  /** The increment for a report of `percentage` (0-100), or undefined when it carries none. */
  next(percentage: number | undefined): number | undefined {
    if (percentage === undefined || !Number.isFinite(percentage)) return undefined;
    const clamped = Math.min(100, Math.max(0, percentage));
    if (clamped <= this.last) return undefined;
    const increment = clamped - this.last;
    this.last = clamped;
    return increment;
  }
}
