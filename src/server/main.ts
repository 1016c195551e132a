/**
 * The Model Privacy engine process (dist/server.js). The extension starts it like a
 * language server (vscode-languageclient, TransportKind.ipc => --node-ipc). It validates
 * privacy-audit.json as the user types, runs audits in a worker thread with progress and
 * cancellation, keeps results in a cache and publishes findings as diagnostics.
 *
 * This file wires the connection to the session; the work is in the modules it imports.
 * Of the engine it imports only the manifest half, which never loads TensorFlow.
 */
import * as path from 'node:path';
import {
  createConnection,
  DidChangeWatchedFilesNotification,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type InitializeResult,
  type ProgressToken,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { TOOL_VERSION } from '../engine/audit/version';
import { MANIFEST_FILE_NAME, findManifests, proposeManifest } from '../engine/manifest';
import {
  AuditRequest,
  CancelAllNotification,
  DidChangeEngineSettingsNotification,
  ProposeManifestRequest,
  ReportRequest,
  ResultsChangedNotification,
  ScanArtifactsRequest,
  StatusNotification,
  StatusRequest,
  SummariesRequest,
  SweepRequest,
} from '../shared/protocol';
import { installProcessGuards, processAlive } from './hardening';
import { readInitOptions, readSettings } from './init-options';
import type { Log } from './log';
import { withDefaultPolicy } from './proposal-policy';
import { guarded, guarded0, UserFacingError } from './request-guard';
import { reportOf } from './result-cache';
import { ArtifactScanService } from './artifact-scan-service';
import { EngineSession } from './session';
import { pathKey, uriToPath } from './uris';

/** Files an audit can read (manifests, models, weight shards, datasets, MNIST's extensionless IDX files). */
const INPUT_GLOBS = ['**/*.{json,csv,tsv,jsonl,npy,npz,idx,gz,bin}', '**/*-ubyte'];
/** Re-checking staleness after files change waits for a burst of changes to end. */
const REFRESH_DELAY_MS = 500;

/** Set once the connection exists; until then the guards write to stderr. */
let guardLog: Log | undefined;
let lifecycleEnding = false;
let clientProcessId: number | undefined;

// First, so that nothing loaded after this can take the process down.
installProcessGuards({
  log: () => guardLog,
  exitAllowed: () => lifecycleEnding || process.connected === false || (clientProcessId !== undefined && !processAlive(clientProcessId)),
});

const connection = createConnection(ProposedFeatures.all);
const log: Log = {
  info: (m) => connection.console.info(m),
  warn: (m) => connection.console.warn(m),
  error: (m) => connection.console.error(m),
};
guardLog = log;
const documents = new TextDocuments(TextDocument);
let session: EngineSession | undefined;
let clientCreatesProgress = false;
let watchedFilesDynamic = false;
let folderEvents = false;

function current(): EngineSession {
  if (!session) throw new Error('the server is not initialized yet');
  return session;
}

function isManifest(file: string): boolean {
  return path.basename(file) === MANIFEST_FILE_NAME;
}

function isOpen(file: string): boolean {
  return documents.all().some((d) => {
    const p = uriToPath(d.uri);
    return p !== undefined && pathKey(p) === pathKey(file);
  });
}

connection.onInitialize((params): InitializeResult => {
  const { options, notes } = readInitOptions(params.initializationOptions);
  if (typeof params.processId === 'number') clientProcessId = params.processId;
  const folders = (params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri }] : []))
    .map((f) => uriToPath(f.uri))
    .filter((f): f is string => f !== undefined);
  clientCreatesProgress = params.capabilities.window?.workDoneProgress === true;
  watchedFilesDynamic = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
  folderEvents = params.capabilities.workspace?.workspaceFolders === true;
  session = new EngineSession(options, folders, {
    log,
    publish: (uri, diagnostics) => void connection.sendDiagnostics({ uri, diagnostics }),
    statusChanged: (status) => void connection.sendNotification(StatusNotification, status),
    resultsChanged: (summaries) => void connection.sendNotification(ResultsChangedNotification, { summaries }),
    isOpen,
    workerScript: path.join(__dirname, 'audit-worker.js'),
  });
  for (const note of notes) log.info(`initializationOptions: ${note}`);
  return {
    capabilities: {
      // Saves matter: a saved manifest may make cached results stale.
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    },
    serverInfo: { name: 'model-privacy-engine', version: TOOL_VERSION },
  };
});

connection.onInitialized(async () => {
  const s = current();
  if (watchedFilesDynamic) {
    // Data and model files change outside the editor; their changes make results stale.
    void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: INPUT_GLOBS.map((globPattern) => ({ globPattern })) });
  }
  if (folderEvents) {
    connection.workspace.onDidChangeWorkspaceFolders((e) => {
      const added = e.added.map((f) => uriToPath(f.uri)).filter((f): f is string => f !== undefined);
      const removed = e.removed.map((f) => uriToPath(f.uri)).filter((f): f is string => f !== undefined);
      s.changeFolders(added, removed);
      void startFolders(s, added);
    });
  }
  log.info(`Model Privacy engine ${TOOL_VERSION} started (node ${process.version}); workspace: ${s.workspaceFolders().join(', ') || '(none)'}`);
  await startFolders(s, s.workspaceFolders());
  s.status.markReady();
});

/** Shows the manifests' problems and the last cached results of these folders. */
async function startFolders(s: EngineSession, folders: readonly string[]): Promise<void> {
  try {
    for (const folder of folders) {
      for (const manifest of findManifests(folder)) if (!isOpen(manifest)) s.validator.validateFile(manifest);
    }
    await s.service.loadCached(folders);
  } catch (e) {
    log.error(`Loading cached results failed: ${(e as Error).stack ?? e}`);
  }
}

// --- Live manifest validation ------------------------------------------------------

const justOpened = new Set<string>();

documents.onDidOpen(({ document }) => {
  const file = uriToPath(document.uri);
  if (!session || file === undefined || !isManifest(file)) return;
  session.publisher.rememberClientUri(file, document.uri);
  justOpened.add(document.uri);
  session.validator.cancel(file);
  session.validator.validateText(file, document.getText());
});

documents.onDidChangeContent(({ document }) => {
  const file = uriToPath(document.uri);
  if (!session || file === undefined || !isManifest(file)) return;
  // The open event just validated this text.
  if (justOpened.delete(document.uri)) return;
  session.validator.schedule(file, () => documents.get(document.uri)?.getText() ?? '');
});

documents.onDidClose(({ document }) => {
  const file = uriToPath(document.uri);
  justOpened.delete(document.uri);
  if (!session || file === undefined || !isManifest(file)) return;
  // Unsaved edits are gone; what counts now is the file on disk.
  session.validator.validateFile(file);
});

documents.onDidSave(({ document }) => {
  const file = uriToPath(document.uri);
  if (file !== undefined && isManifest(file)) scheduleRefresh();
});

let refreshTimer: NodeJS.Timeout | undefined;
function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    session?.service.refresh().catch((e) => log.error(`Refreshing results failed: ${(e as Error).stack ?? e}`));
  }, REFRESH_DELAY_MS);
}

connection.onDidChangeWatchedFiles(({ changes }) => {
  if (!session) return;
  for (const change of changes) {
    const file = uriToPath(change.uri);
    if (file !== undefined && isManifest(file) && !isOpen(file)) session.validator.validateFile(file);
  }
  scheduleRefresh();
});

// --- Audits ------------------------------------------------------------------------

function requireTrust(s: EngineSession): void {
  if (!s.options.trusted) {
    throw new UserFacingError('Audits are disabled in Restricted Mode: auditing loads and runs the workspace\'s models. Trust this workspace to audit.');
  }
}

/** Reports to the client's token when it sent one, else to a progress the server creates (if the client allows). */
async function workDoneProgress(token: ProgressToken | undefined): Promise<WorkDoneProgressReporter & { token?: CancellationToken }> {
  if (token !== undefined) return connection.window.attachWorkDoneProgress(token);
  if (clientCreatesProgress) {
    try {
      return await connection.window.createWorkDoneProgress();
    } catch (e) {
      // Progress is a courtesy: the audit runs without it.
      log.warn(`Could not create a progress indicator: ${(e as Error).message}`);
    }
  }
  return connection.window.attachWorkDoneProgress(undefined);
}

async function withProgress<T>(
  title: string, progressToken: ProgressToken | undefined, requestToken: CancellationToken,
  run: (signal: AbortSignal, report: (message: string, percentage: number) => void) => Promise<T>,
): Promise<T> {
  const s = current();
  // Open before creating the progress (a round trip), so a CancelAll sent meanwhile counts.
  const cancellation = s.cancellation.open(requestToken);
  let progress: Awaited<ReturnType<typeof workDoneProgress>>;
  try {
    progress = await workDoneProgress(progressToken);
  } catch (e) {
    cancellation.dispose();
    throw e;
  }
  cancellation.follow(progress.token);
  progress.begin(title, 0, 'waiting for the audit worker', true);
  try {
    return await run(cancellation.signal, (message, percentage) => progress.report(percentage, message));
  } finally {
    cancellation.dispose();
    progress.done();
  }
}

connection.onRequest(AuditRequest, guarded(AuditRequest.method, log, async (params, token) => {
  const s = current();
  requireTrust(s);
  if (typeof params?.target !== 'string' || params.target === '') throw new UserFacingError('AuditRequest needs a target path');
  return withProgress('Model privacy audit', params.workDoneToken, token, (signal, report) =>
    s.service.audit(params, { signal, onProgress: report }));
}));

connection.onRequest(SweepRequest, guarded(SweepRequest.method, log, async (params, token) => {
  const s = current();
  requireTrust(s);
  if (!Array.isArray(params?.targets)) throw new UserFacingError('SweepRequest needs a list of targets');
  return withProgress('Model privacy sweep', params.workDoneToken, token, (signal, report) =>
    s.service.sweep(params, { signal, onProgress: report }));
}));

connection.onNotification(CancelAllNotification, () => {
  const count = session?.cancellation.cancelAll() ?? 0;
  log.info(`Cancel all: ${count} request${count === 1 ? '' : 's'} cancelled.`);
});

connection.onNotification(DidChangeEngineSettingsNotification, (raw) => {
  if (!session) return;
  const notes: string[] = [];
  const { applied, needRestart } = session.applySettings(readSettings(raw, notes));
  for (const note of notes) log.warn(`Changed settings: ${note}`);
  if (applied.length) log.info(`Settings applied: ${applied.join(', ')}.`);
  if (needRestart.length) log.info(`Settings changed that apply after a restart of the engine: ${needRestart.join(', ')}.`);
  // The default policy is part of a proposed manifest's text, and the shadow count of some
  // audits' cache keys: results computed under the old value are stale now.
  if (applied.includes('default policy') || applied.includes('shadow models')) scheduleRefresh();
});

connection.onRequest(StatusRequest, guarded0(StatusRequest.method, log, () => current().status.get()));

connection.onRequest(SummariesRequest, guarded0(SummariesRequest.method, log, () => current().view.summaries()));

connection.onRequest(ReportRequest, guarded(ReportRequest.method, log, (params) => {
  const s = current();
  const shown = s.view.report(params.reportKey);
  if (shown) return shown;
  const cached = s.cache.get(params.reportKey);
  return cached ? reportOf(cached) : null;
}));

connection.onRequest(ProposeManifestRequest, guarded(ProposeManifestRequest.method, log, (params) => {
  const s = current();
  if (typeof params?.folder !== 'string' || params.folder === '') throw new UserFacingError('ProposeManifestRequest needs a folder');
  const proposal = proposeManifest(params.folder);
  const text = proposal.audits > 0 ? withDefaultPolicy(proposal.text, s.settings.defaultPolicy) : proposal.text;
  return { text, audits: proposal.audits };
}));

// --- Artifact scans ----------------------------------------------------------------

let artifactScans: ArtifactScanService | undefined;

// No trust check, unlike audits: scanning reads the files' bytes and never loads or runs
// them, so it is safe in Restricted Mode, where the extension starts this process untrusted
// for exactly this.
connection.onRequest(ScanArtifactsRequest, guarded(ScanArtifactsRequest.method, log, (params) => {
  const s = current();
  if (!Array.isArray(params?.files) || !params.files.every((f) => typeof f === 'string')) throw new UserFacingError('ScanArtifactsRequest needs a list of file paths');
  artifactScans ??= new ArtifactScanService(s.publisher, log, s.options.docsBaseUri);
  return artifactScans.scanFiles(params.files);
}));

// --- Lifecycle ---------------------------------------------------------------------

connection.onShutdown(async () => {
  lifecycleEnding = true;
  await session?.dispose();
});

connection.onExit(() => {
  lifecycleEnding = true;
});

// Started over IPC and the client vanished without a shutdown: nobody will ever talk to us again.
process.on('disconnect', () => {
  lifecycleEnding = true;
  void session?.dispose().finally(() => process.exit(1));
});

documents.listen(connection);
connection.listen();
