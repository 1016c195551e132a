/**
 * The output channel the language client writes to. vscode-languageclient formats every
 * line for a plain OutputChannel ("[Info  - 10:41:07] message", the engine's
 * window/logMessage included) and appends it; a LogOutputChannel stamps its own time and
 * level on top, which read "… [info] [Warn  - 10:41:07] message": two prefixes, and every
 * level logged as info. This channel strips the client's prefix and logs each line at the
 * level the prefix names. Lines without one (a stack after an error) keep the level of
 * the line before. Needs `vscode` only for types, so it is unit-tested as is.
 */
import type * as vscode from 'vscode';

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Readonly<Record<string, LogLevelName>> = {
  Trace: 'trace',
  LSP: 'trace',
  Debug: 'debug',
  Info: 'info',
  Warn: 'warn',
  Error: 'error',
};

/** "[Info  - 10:41:07] text" -> info, "text"; a line without the prefix -> undefined. */
export function parseClientLine(line: string): { level: LogLevelName; text: string } | undefined {
  const match = /^\[(Trace|LSP|Debug|Info|Warn|Error)\s*- [^\]]*\] ?/.exec(line);
  if (!match) return undefined;
  return { level: LEVELS[match[1]!]!, text: line.slice(match[0].length) };
}

export class EngineLogChannel implements vscode.OutputChannel {
  private pending = '';
  private lastLevel: LogLevelName = 'info';

  constructor(private readonly log: vscode.LogOutputChannel) {}

  get name(): string {
    return this.log.name;
  }

  /** The client's trace output comes as append(prefix) + appendLine(data): one line. */
  append(value: string): void {
    this.pending += value;
  }

  appendLine(value: string): void {
    const line = this.pending + value;
    this.pending = '';
    const parsed = parseClientLine(line);
    if (parsed) this.lastLevel = parsed.level;
    this.write(parsed?.level ?? this.lastLevel, parsed?.text ?? line);
  }

  replace(value: string): void {
    this.log.replace(value);
  }

  clear(): void {
    this.log.clear();
  }

  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === 'boolean' || columnOrPreserveFocus === undefined) this.log.show(columnOrPreserveFocus);
    else this.log.show(columnOrPreserveFocus, preserveFocus);
  }

  hide(): void {
    this.log.hide();
  }

  /** The real channel belongs to the extension, which outlives any one client. */
  dispose(): void {}

  private write(level: LogLevelName, text: string): void {
    switch (level) {
      case 'trace':
        return this.log.trace(text);
      case 'debug':
        return this.log.debug(text);
      case 'info':
        return this.log.info(text);
      case 'warn':
        return this.log.warn(text);
      case 'error':
        return this.log.error(text);
    }
  }
}
