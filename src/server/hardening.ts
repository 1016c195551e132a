/**
 * Keeps the engine process alive through other people's bugs, as vscode-eslint's server
 * does: a library's process.exit is refused and reported (an exit would silently drop
 * every audit in flight), and uncaught exceptions and unhandled rejections are logged
 * instead of killing the process. Exits that belong to the LSP lifecycle still happen.
 */
import { errorText, type Log } from './log';

export interface ProcessGuardOptions {
  /** Where to report; before the connection exists, stderr (the client logs it too). */
  log: () => Log | undefined;
  /** True when an exit is legitimate: shutdown/exit received, or the client is gone. */
  exitAllowed: () => boolean;
}

export function installProcessGuards(options: ProcessGuardOptions): void {
  const report = (message: string) => {
    const log = options.log();
    if (log) log.error(message);
    else process.stderr.write(`${message}\n`);
  };
  const nodeExit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    if (options.exitAllowed()) return nodeExit(code ?? undefined);
    report(`Refused process.exit(${code ?? ''}) from a library; the server keeps running. Called from:\n${new Error('process.exit').stack ?? ''}`);
    return undefined as never;
  }) as typeof process.exit;
  process.on('uncaughtException', (error) => report(`Uncaught exception (the server keeps running):\n${errorText(error)}`));
  process.on('unhandledRejection', (reason) => report(`Unhandled promise rejection (the server keeps running):\n${errorText(reason)}`));
}

/** Whether a process still exists (signal 0 only checks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
