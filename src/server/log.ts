/**
 * Where the server's own messages go: connection.console in the running server (the
 * client shows it in its "Model Privacy" log channel), an array or nothing in tests.
 */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}

/** The message of an error without its stack, for users. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
