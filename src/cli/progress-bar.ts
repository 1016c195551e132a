/** A one-line progress bar on stderr for terminals; silent when stderr is not a TTY (CI logs stay clean). */
import type { AuditProgress } from '../engine/audit';

export class ProgressBar {
  private lastWidth = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly enabled = stream.isTTY === true) {}

  update(p: AuditProgress): void {
    if (!this.enabled) return;
    const width = 24;
    const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
    const line = `${p.audit} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} ${p.stage}`;
    const cols = this.stream.columns ?? 100;
    const text = line.length > cols - 1 ? line.slice(0, cols - 1) : line;
    this.stream.write(`\r${text}${' '.repeat(Math.max(0, this.lastWidth - text.length))}`);
    this.lastWidth = text.length;
  }

  done(): void {
    if (this.enabled && this.lastWidth > 0) this.stream.write(`\r${' '.repeat(this.lastWidth)}\r`);
    this.lastWidth = 0;
  }
}
