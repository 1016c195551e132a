/**
 * Audit progress on stderr. On a terminal: one line redrawn in place. Elsewhere (CI logs,
 * pipes): plain lines without control characters, on a stage change (at most one a
 * second, so twenty fast attacks do not flood the log) and at least every few seconds
 * while the audit runs, so a long shadow-training stage still shows it is alive.
 */
import type { AuditProgress } from '../engine/audit';

export interface ProgressOptions {
  /** Redraw one line in place; default: the stream is a TTY. */
  interactive?: boolean;
  /** Plain mode: a line at least this often while work goes on. */
  heartbeatMs?: number;
  /** Plain mode: stage changes closer than this to the last line wait for the next one. */
  minGapMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export class ProgressBar {
  private lastWidth = 0;
  private readonly interactive: boolean;
  private readonly heartbeatMs: number;
  private readonly minGapMs: number;
  private readonly now: () => number;
  private readonly started: number;
  private latest: AuditProgress | undefined;
  private lastPrinted: { key: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stderr, options: ProgressOptions = {}) {
    this.interactive = options.interactive ?? stream.isTTY === true;
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.minGapMs = options.minGapMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  update(p: AuditProgress): void {
    if (this.interactive) this.redraw(p);
    else this.plain(p);
  }

  /** Plain mode: prints the latest progress again when the last line is a heartbeat old. */
  tick(): void {
    if (this.latest && this.lastPrinted && this.now() - this.lastPrinted.at >= this.heartbeatMs) this.printPlain(this.latest);
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.latest = undefined;
    if (this.interactive && this.lastWidth > 0) this.stream.write(`\r${' '.repeat(this.lastWidth)}\r`);
    this.lastWidth = 0;
  }

  private redraw(p: AuditProgress): void {
    const width = 24;
    const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
    // Audit names and stages come from files: no raw escape sequence reaches the terminal.
    const line = `${blank(p.audit)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} ${blank(p.stage)}`;
    const cols = this.stream.columns ?? 100;
    const text = line.length > cols - 1 ? line.slice(0, cols - 1) : line;
    this.stream.write(`\r${text}${' '.repeat(Math.max(0, this.lastWidth - text.length))}`);
    this.lastWidth = text.length;
  }

  private plain(p: AuditProgress): void {
    this.latest = p;
    const since = this.lastPrinted ? this.now() - this.lastPrinted.at : Infinity;
    const changed = this.lastPrinted?.key !== stageKey(p);
    if ((changed && since >= this.minGapMs) || since >= this.heartbeatMs) this.printPlain(p);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), Math.max(250, Math.min(this.heartbeatMs, 1000)));
      // The heartbeat must never keep the process alive on its own.
      this.timer.unref();
    }
  }

  private printPlain(p: AuditProgress): void {
    const at = this.now();
    const elapsed = Math.round((at - this.started) / 1000);
    // Stage and audit names come from files: keep the line one line, without control characters.
    const line = `[${elapsed} s] ${blank(p.audit)}: ${blank(p.stage)} (step ${p.done}/${p.total})`;
    this.stream.write(`${line}\n`);
    this.lastPrinted = { key: stageKey(p), at };
  }
}

/** Control, line-separator and bidi characters as spaces, at most 200 characters: a progress line stays one plain line. */
function blank(text: string): string {
  return (text.length > 200 ? `${text.slice(0, 200)}...` : text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, ' ');
}

function stageKey(p: AuditProgress): string {
  return `${p.audit}\u0000${p.stage}`;
}
