/**
 * Creates the language client for one engine process: dist/server.js over IPC, the
 * documents it watches, the initializationOptions of src/shared/protocol.ts, the error
 * handler that bounds restarts, and the middleware that feeds the findings tree from the
 * same diagnostics the Problems panel shows.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { InitializationOptions } from '../shared/protocol';
import { MANIFEST_FILE_NAME } from '../engine/manifest/defaults';
import { EngineLogChannel } from './engine-log';
import type { FindingsStore } from './findings/findings-store';
import type { RestartPolicy } from './restart-policy';

export const CLIENT_ID = 'modelPrivacy';
export const CLIENT_NAME = 'Model Privacy engine';

/** Write errors on the IPC channel, in a row, before the client gives up on the connection. */
const MAX_CONNECTION_ERRORS = 3;

export interface EngineClientOptions {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  initializationOptions: InitializationOptions;
  findings: FindingsStore;
  restarts: RestartPolicy;
  /** The engine died more often than the policy allows and stays down. */
  onGaveUp: () => void;
}

export const DOCUMENT_SELECTOR = [
  { scheme: 'file', pattern: `**/${MANIFEST_FILE_NAME}` },
  // The server mirrors model findings onto model.json; opening one must reach it.
  { scheme: 'file', pattern: '**/model.json' },
];

export function createEngineClient(options: EngineClientOptions): LanguageClient {
  const module = vscode.Uri.joinPath(options.extensionUri, 'dist', 'server.js').fsPath;
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc },
  };
  const errorHandler: ErrorHandler = {
    error: (_error, _message, count) => ({ action: (count ?? 1) <= MAX_CONNECTION_ERRORS ? ErrorAction.Continue : ErrorAction.Shutdown }),
    closed: () => {
      if (options.restarts.crashed(Date.now())) {
        options.log.warn('The engine process exited unexpectedly; restarting it.');
        return { action: CloseAction.Restart, handled: true };
      }
      options.onGaveUp();
      return { action: CloseAction.DoNotRestart, handled: true };
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    // The client's own "[Info  - time]" prefix would sit beside the log channel's.
    outputChannel: new EngineLogChannel(options.log),
    // Show the log only when asked: a failing audit already says so in its own message.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: options.initializationOptions,
    errorHandler,
    diagnosticCollectionName: 'model-privacy',
    middleware: {
      handleDiagnostics: (uri, diagnostics, next) => {
        options.findings.set(uri, diagnostics);
        next(uri, diagnostics);
      },
    },
  };
  return new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
}
