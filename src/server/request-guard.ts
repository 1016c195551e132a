/**
 * Every custom request goes through here, so no handler can leave the client waiting
 * or answer with a bare stack trace: failures become a ResponseError whose message
 * says which request failed and why, and the details go to the log.
 */
import { LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver';
import { errorMessage, errorText, type Log } from './log';

/** An error whose message is meant for the user as it is (wrong input, refused by policy). */
export class UserFacingError extends Error {
  override readonly name = 'UserFacingError';
}

export type Handler<P, R> = (params: P, token: CancellationToken) => R | Promise<R>;

export function guarded<P, R>(method: string, log: Log, handler: Handler<P, R>): Handler<P, R | ResponseError<void>> {
  return async (params, token) => {
    try {
      return await handler(params, token);
    } catch (e) {
      if (e instanceof UserFacingError) {
        log.warn(`${method}: ${e.message}`);
        return new ResponseError(LSPErrorCodes.RequestFailed, e.message);
      }
      log.error(`${method} failed:\n${errorText(e)}`);
      return new ResponseError(LSPErrorCodes.RequestFailed, `${method} failed: ${errorMessage(e)}`);
    }
  };
}

/** The same for requests without parameters (RequestType0). */
export function guarded0<R>(method: string, log: Log, handler: (token: CancellationToken) => R | Promise<R>): (token: CancellationToken) => Promise<R | ResponseError<void>> {
  const inner = guarded<void, R>(method, log, (_params, token) => handler(token));
  return (token) => inner(undefined, token) as Promise<R | ResponseError<void>>;
}
