/**
 * Everything that lives as long as one initialized server: built from the client's
 * initializationOptions in onInitialize, disposed on shutdown. main.ts only wires the
 * connection to it.
 */
import * as path from 'node:path';
import type { AuditSummary, EngineSettings, EngineStatus } from '../shared/protocol';
import { AuditService } from './audit-service';
import { CancellationHub } from './cancellation';
import { DiagnosticPublisher, type PublishFn } from './diagnostic-publisher';
import { FileHasher } from './file-hasher';
import type { ServerOptions } from './init-options';
import type { Log } from './log';
import { ManifestValidator } from './manifest-validator';
import { ModelTopologyLocator } from './model-topology';
import { ResultCache } from './result-cache';
import { ResultsView } from './results-view';
import { AuditScheduler } from './scheduler';
import { StatusTracker } from './status';
import { pathKey } from './uris';

/**
 * Audits run one at a time: each parallel audit needs its own TensorFlow and data in
 * memory, and its training already uses every core it is given. The `workers` setting
 * is for threads inside an audit (shadow models), not for parallel audits.
 */
export const PARALLEL_AUDITS = 1;

export interface SessionHooks {
  log: Log;
  publish: PublishFn;
  statusChanged: (status: EngineStatus) => void;
  resultsChanged: (summaries: AuditSummary[]) => void;
  /** Whether the client has this file open. */
  isOpen: (file: string) => boolean;
  /** dist/audit-worker.js. */
  workerScript: string;
}

export class EngineSession {
  readonly publisher: DiagnosticPublisher;
  readonly validator: ManifestValidator;
  readonly view: ResultsView;
  readonly cache: ResultCache;
  readonly status: StatusTracker;
  readonly scheduler: AuditScheduler;
  readonly service: AuditService;
  readonly cancellation = new CancellationHub();
  private folders: string[];
  private currentSettings: EngineSettings;

  constructor(readonly options: ServerOptions, workspaceFolders: string[], hooks: SessionHooks) {
    this.folders = workspaceFolders;
    this.currentSettings = options.settings;
    this.publisher = new DiagnosticPublisher(hooks.publish);
    this.validator = new ManifestValidator(this.publisher, hooks.log, options.docsBaseUri, () => this.currentSettings.allowOutsideWorkspace === true, () => this.folders);
    this.view = new ResultsView(this.publisher, new ModelTopologyLocator(), options.docsBaseUri, hooks.resultsChanged);
    this.cache = new ResultCache(options.storagePath !== undefined ? path.join(options.storagePath, 'results') : undefined, hooks.log);
    this.status = new StatusTracker(hooks.statusChanged);
    this.scheduler = AuditScheduler.forScript(PARALLEL_AUDITS, hooks.workerScript, hooks.log);
    this.service = new AuditService({
      scheduler: this.scheduler,
      cache: this.cache,
      hasher: new FileHasher(),
      view: this.view,
      status: this.status,
      validator: this.validator,
      isOpen: hooks.isOpen,
      settings: () => this.currentSettings,
      workspaceFolders: () => this.folders,
      shadowCacheDir: options.storagePath !== undefined ? path.join(options.storagePath, 'shadows') : undefined,
      log: hooks.log,
    });
  }

  /** The settings in effect now (backend and workers always those of the start). */
  get settings(): EngineSettings {
    return this.currentSettings;
  }

  /**
   * Applies changed settings that need no new process; returns what changed, and what
   * waits for a restart. Audits already running keep the settings they started with.
   */
  applySettings(next: EngineSettings): { applied: string[]; needRestart: string[] } {
    const before = this.currentSettings;
    const applied: string[] = [];
    if (!same(before.defaultPolicy, next.defaultPolicy)) applied.push('default policy');
    if (!same(before.sweepAttacks, next.sweepAttacks)) applied.push('sweep attacks');
    if (!same(before.exclude, next.exclude)) applied.push('exclude');
    if (before.shadowModels !== next.shadowModels) applied.push('shadow models');
    if ((before.allowOutsideWorkspace === true) !== (next.allowOutsideWorkspace === true)) applied.push('allow outside workspace');
    const needRestart = [...(before.backend !== next.backend ? ['backend'] : []), ...(before.workers !== next.workers ? ['workers'] : [])];
    this.currentSettings = { ...next, backend: before.backend, workers: before.workers };
    return { applied, needRestart };
  }

  workspaceFolders(): readonly string[] {
    return this.folders;
  }

  changeFolders(added: string[], removed: string[]): void {
    const gone = new Set(removed.map(pathKey));
    this.folders = [...this.folders.filter((f) => !gone.has(pathKey(f))), ...added];
  }

  async dispose(): Promise<void> {
    this.cancellation.cancelAll();
    await this.scheduler.dispose();
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
