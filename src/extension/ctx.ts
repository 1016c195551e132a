/**
 * The extension's context, with two lifetimes kept apart (as rust-analyzer's ctx.ts):
 * what lives as long as the extension (detection, stores, views, the status item,
 * context.subscriptions) and what lives as long as one engine process (its language
 * client and the handlers registered on it, disposed on stop or restart).
 */
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import {
  DidChangeEngineSettingsNotification,
  ResultsChangedNotification,
  StatusNotification,
  StatusRequest,
  SummariesRequest,
  type EngineSettings,
  type EngineStatus,
  type InitializationOptions,
} from '../shared/protocol';
import { COMMANDS } from './command-ids';
import { Detector } from './detection/detector';
import { createEngineClient } from './client';
import { RestartPolicy } from './restart-policy';
import { readEngineSettings, SECTION } from './engine-settings';
import { FindingsStore } from './findings/findings-store';
import { ResultsStore } from './results/results-store';
import type { EngineLifecycle, StatusInput } from './status-text';
import { explainRestricted, isTrusted } from './trust';
import { AuditRuns } from './commands/audit-runs';

/** How long a command waits for an engine that is still starting. */
const START_WAIT_MS = 60_000;

interface EngineInstance {
  client: LanguageClient;
  subscriptions: vscode.Disposable[];
  /** Started in a trusted workspace: audits allowed. Untrusted: static scans and manifest checks only. */
  trusted: boolean;
  /** The client reached State.Running and has not left it. */
  running: boolean;
}

export class Ctx implements vscode.Disposable {
  readonly detector: Detector;
  readonly results = new ResultsStore();
  readonly findings = new FindingsStore();
  readonly runs = new AuditRuns();

  private engine: EngineInstance | undefined;
  private starting: Promise<void> | undefined;
  private lifecycleValue: EngineLifecycle = 'stopped';
  private lastError: string | undefined;
  private engineStatus: EngineStatus | undefined;
  private readonly restarts = new RestartPolicy();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the lifecycle or the engine's status changes. */
  readonly onDidChange = this.changed.event;

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.detector = new Detector(log);
    this.pushExtCleanup(this.detector, this.results, this.findings, this.runs, this.changed);
  }

  get extensionUri(): vscode.Uri {
    return this.extension.extensionUri;
  }

  get lifecycle(): EngineLifecycle {
    return this.lifecycleValue;
  }

  get status(): StatusInput {
    const input: StatusInput = { lifecycle: this.lifecycleValue };
    if (this.engineStatus) input.engine = this.engineStatus;
    if (this.lastError !== undefined) input.error = this.lastError;
    return input;
  }

  /** The engine's client while it is running in a trusted workspace; no messages, for background refreshes. */
  get client(): LanguageClient | undefined {
    return this.lifecycleValue === 'running' ? this.engine?.client : undefined;
  }

  /**
   * The engine's client for static scans while it runs, trusted or not: scanning reads
   * files' bytes and never loads or runs them, so it works in Restricted Mode too, where
   * an unsafe pickle matters most.
   */
  get scanClient(): LanguageClient | undefined {
    return this.engine?.running ? this.engine.client : undefined;
  }

  /** Audits running: ours (with a progress notification) or the engine's (any client). */
  get isAuditing(): boolean {
    return this.runs.active > 0 || (this.lifecycleValue === 'running' && this.engineStatus?.state === 'auditing');
  }

  /** Disposed with the extension. */
  pushExtCleanup(...disposables: vscode.Disposable[]): void {
    this.extension.subscriptions.push(...disposables);
  }

  /**
   * Starts the engine. In Restricted Mode it starts with `trusted: false`: the server then
   * refuses audits and sweeps (it never loads a model or dataset) but scans files' bytes and
   * checks manifests; the lifecycle stays 'restricted' and `client` stays undefined.
   */
  start(): Promise<void> {
    // One start at a time: activation and a trust grant may ask together.
    this.starting ??= this.startOnce().finally(() => {
      this.starting = undefined;
    });
    // Trust granted while an untrusted start was in flight: that start returned the
    // untrusted engine, so start again for one that may audit.
    return this.starting.then(() => (this.engine !== undefined && this.engine.trusted !== isTrusted() ? this.start() : undefined));
  }

  private async startOnce(): Promise<void> {
    const trusted = isTrusted();
    if (this.engine?.trusted === trusted) return;
    // Started untrusted (scans only) and trusted since: a new process may audit.
    if (this.engine) await this.disposeEngine();
    this.lastError = undefined;
    this.setLifecycle(trusted ? 'starting' : 'restricted');
    const client = createEngineClient({
      extensionUri: this.extensionUri,
      log: this.log,
      initializationOptions: await this.initializationOptions(trusted),
      findings: this.findings,
      restarts: this.restarts,
      onGaveUp: () => this.gaveUp(),
    });
    const instance: EngineInstance = { client, subscriptions: [], trusted, running: false };
    instance.subscriptions.push(
      client.onDidChangeState((e) => this.onClientState(instance, e.newState)),
      client.onNotification(StatusNotification, (status) => {
        this.engineStatus = status;
        this.changed.fire();
      }),
      client.onNotification(ResultsChangedNotification, ({ summaries }) => this.results.replace(summaries)),
    );
    this.engine = instance;
    try {
      await client.start();
    } catch (e) {
      if (this.engine !== instance) return;
      this.lastError = `the engine did not start: ${e instanceof Error ? e.message : String(e)}`;
      this.log.error(`The engine did not start: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      await this.disposeEngine();
      // Restricted Mode offers no restart (the command is refused there); the log says why scans are missing.
      if (!trusted) return this.setLifecycle('restricted');
      this.setLifecycle('crashed');
      this.offerRestart(`Model Privacy: ${this.lastError}`);
    }
  }

  /** Stops the engine process; findings it published disappear with it. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    await this.disposeEngine();
    this.setLifecycle(isTrusted() ? 'stopped' : 'restricted');
  }

  /** A restart the user asked for: a fresh crash count, new settings, a new process. */
  async restart(): Promise<void> {
    this.restarts.reset();
    await this.stop();
    await this.start();
  }

  /**
   * The running client for a command, or undefined after telling the user why there is
   * none (Restricted Mode, or an engine that is down). Starts a stopped engine.
   */
  async requireClient(what: string): Promise<LanguageClient | undefined> {
    if (!isTrusted()) {
      explainRestricted(what);
      return undefined;
    }
    if (this.lifecycleValue === 'stopped' || this.lifecycleValue === 'restricted') await this.start();
    if (this.lifecycleValue === 'starting') await this.settled(START_WAIT_MS);
    if (this.lifecycleValue === 'running' && this.engine) return this.engine.client;
    this.offerRestart(`${what} needs the audit engine, which is not running${this.lastError ? ` (${this.lastError})` : ''}.`);
    return undefined;
  }

  /** Resolves when the engine is running, or has stopped trying (crashed, restricted). */
  settled(timeoutMs: number): Promise<void> {
    if (this.lifecycleValue !== 'starting') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const subscription = this.onDidChange(() => {
        if (this.lifecycleValue !== 'starting') done();
      });
      function done() {
        clearTimeout(timer);
        subscription.dispose();
        resolve();
      }
    });
  }

  /**
   * Sends the current settings to the running engine, which applies those it can without
   * a restart. Also after every (re)start: a restart after a crash reuses the first
   * initializationOptions, which may be older than the settings.
   */
  async sendSettings(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.sendNotification(DidChangeEngineSettingsNotification, this.engineSettings());
    } catch (e) {
      this.log.warn(`Could not send the changed settings to the engine: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  dispose(): void {
    void this.disposeEngine();
  }

  /** The settings of the first workspace folder (the engine serves the whole window with one set). */
  private engineSettings(): EngineSettings {
    const config = vscode.workspace.getConfiguration(SECTION, vscode.workspace.workspaceFolders?.[0]?.uri);
    return readEngineSettings((key) => config.get(key));
  }

  private async initializationOptions(trusted: boolean): Promise<InitializationOptions> {
    const storage = this.extension.storageUri ?? this.extension.globalStorageUri;
    // The server writes its result cache there; the folder does not exist on first use.
    await Promise.resolve(vscode.workspace.fs.createDirectory(storage)).catch(() => undefined);
    return {
      storagePath: storage.fsPath,
      settings: this.engineSettings(),
      trusted,
      // ruleDocPath() is relative to the package root: docs/rules.md#<rule>.
      docsBaseUri: `${this.extensionUri.toString()}/`,
    };
  }

  private onClientState(instance: EngineInstance, state: State): void {
    if (this.engine !== instance) return;
    instance.running = state === State.Running;
    if (state === State.Running) {
      this.setLifecycle(instance.trusted ? 'running' : 'restricted');
      void this.fetchInitialState(instance.client);
      void this.sendSettings();
      return;
    }
    // Starting again after a crash, or stopped for good: the client has cleared its diagnostics.
    this.engineStatus = undefined;
    this.findings.clear();
    this.results.replace([]);
    if (!instance.trusted) this.setLifecycle('restricted');
    else this.setLifecycle(state === State.Starting ? 'starting' : 'crashed');
  }

  private async fetchInitialState(client: LanguageClient): Promise<void> {
    try {
      const [status, summaries] = await Promise.all([client.sendRequest(StatusRequest), client.sendRequest(SummariesRequest)]);
      this.engineStatus = status;
      this.results.replace(summaries);
      this.changed.fire();
    } catch (e) {
      this.log.warn(`Could not read the engine's state: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private gaveUp(): void {
    this.lastError = 'it exited repeatedly and was not restarted';
    this.log.error('The engine process kept exiting (more than 4 times in 3 minutes); it will not be restarted automatically.');
    // Restricted Mode refuses the restart command: the log is all there is to offer.
    if (this.engine?.trusted === false) return;
    this.offerRestart('The Model Privacy engine stopped repeatedly and will not be restarted automatically.');
  }

  private offerRestart(message: string): void {
    const restart = 'Restart engine';
    const showLog = 'Show log';
    void vscode.window.showErrorMessage(message, restart, showLog).then((choice) => {
      if (choice === restart) void vscode.commands.executeCommand(COMMANDS.restartEngine);
      if (choice === showLog) this.log.show();
    });
  }

  private async disposeEngine(): Promise<void> {
    const instance = this.engine;
    if (!instance) return;
    this.engine = undefined;
    instance.subscriptions.forEach((d) => d.dispose());
    this.engineStatus = undefined;
    try {
      await instance.client.dispose(2000);
    } catch (e) {
      this.log.warn(`Stopping the engine: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.findings.clear();
    this.results.replace([]);
  }

  private setLifecycle(lifecycle: EngineLifecycle): void {
    this.lifecycleValue = lifecycle;
    this.changed.fire();
  }
}
