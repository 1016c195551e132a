/**
 * Finds models, datasets and manifests in the workspace with workspace.findFiles and
 * keeps the list current with a file watcher. Never loads a model: a model.json is read
 * as JSON to tell a TF.js model from any other model.json, nothing else is opened.
 * Works in Restricted Mode too; only auditing needs trust.
 */
import * as vscode from 'vscode';
import { readExclude, SECTION } from '../engine-settings';
import { classify, DETECTION_GLOB, isAuditableFormat, isUnsafeFormat } from './classify';
import { EMPTY_SNAPSHOT, type DetectedDataset, type DetectedManifest, type DetectedModel, type DetectionSnapshot } from './detected';
import { combinedExclude, findFilesExclude, GlobSet } from './glob';
import { outlineManifest } from './manifest-outline';
import { tfjsModelKind } from './model-json';
import { sniffPickle } from './content-sniff';

/** A workspace with more candidate files than this is listed partially (and the log says so). */
const MAX_FILES = 20_000;
/** model.json files larger than this hold inline weights or are not TF.js files worth parsing. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** Watcher events come in bursts (a checkout, an unzip): settle before telling the views. */
const SETTLE_MS = 150;

type Entry =
  | { kind: 'manifest'; value: DetectedManifest }
  | { kind: 'model'; value: DetectedModel }
  | { kind: 'dataset'; value: DetectedDataset };

export class Detector implements vscode.Disposable {
  private entries = new Map<string, Entry>();
  private snapshotValue: DetectionSnapshot = EMPTY_SNAPSHOT;
  private excludes = new GlobSet([]);
  private scanGeneration = 0;
  private firstScan: Promise<DetectionSnapshot> | undefined;
  private notifyTimer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<DetectionSnapshot>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher(DETECTION_GLOB);
    // A folder deleted outside the editor (rm -rf, workspace.fs.delete) is reported as the
    // folder alone, which DETECTION_GLOB does not match: watch deletions of any path.
    const deletions = vscode.workspace.createFileSystemWatcher('**/*', true, true, false);
    this.disposables.push(
      watcher,
      deletions,
      watcher.onDidCreate((uri) => void this.update(uri)),
      watcher.onDidChange((uri) => void this.update(uri)),
      deletions.onDidDelete((uri) => this.removeUnder(uri)),
      // A deleted or renamed folder may not produce an event per file inside it.
      vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((uri) => this.removeUnder(uri))),
      vscode.workspace.onDidRenameFiles(() => void this.rescan()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.rescan()),
    );
  }

  snapshot(): DetectionSnapshot {
    return this.snapshotValue;
  }

  /** The snapshot once the first full scan has finished (commands run right after activation wait for it). */
  ready(): Promise<DetectionSnapshot> {
    if (this.snapshotValue.done) return Promise.resolve(this.snapshotValue);
    // A first scan that failed (the log has why) is simply tried again.
    return (this.firstScan ?? this.rescan()).catch(() => this.scan());
  }

  /** A full scan; call at activation and when the exclude settings change. */
  rescan(): Promise<DetectionSnapshot> {
    const scan = this.scan();
    this.firstScan ??= scan;
    return scan;
  }

  private async scan(): Promise<DetectionSnapshot> {
    const generation = ++this.scanGeneration;
    const exclude = this.readExcludes();
    this.excludes = new GlobSet(exclude);
    const started = Date.now();
    const uris = await vscode.workspace.findFiles(DETECTION_GLOB, findFilesExclude(exclude), MAX_FILES);
    if (uris.length >= MAX_FILES) this.log.warn(`Detection listed the first ${MAX_FILES} candidate files only; narrow it with modelPrivacy.exclude.`);
    const found = new Map<string, Entry>();
    for (const uri of uris) {
      if (this.isExcluded(uri)) continue;
      const entry = await this.inspect(uri);
      if (entry) found.set(uri.toString(), entry);
    }
    // A newer scan started meanwhile: its result wins.
    if (generation !== this.scanGeneration) return this.snapshotValue;
    this.entries = found;
    this.publish(true);
    this.log.info(`Detection: ${this.snapshotValue.models.length} model(s), ${this.snapshotValue.datasets.length} dataset(s), ${this.snapshotValue.manifests.length} manifest(s) in ${Date.now() - started} ms.`);
    return this.snapshotValue;
  }

  dispose(): void {
    clearTimeout(this.notifyTimer);
    this.disposables.forEach((d) => d.dispose());
  }

  private readExcludes(): string[] {
    const mine = readExclude((key) => vscode.workspace.getConfiguration(SECTION).get(key));
    const filesExclude = vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude') ?? {};
    return combinedExclude(mine, filesExclude);
  }

  private isExcluded(uri: vscode.Uri): boolean {
    // Relative to its workspace folder, like findFiles' exclude; files outside any folder are ignored.
    if (!vscode.workspace.getWorkspaceFolder(uri)) return true;
    return this.excludes.matches(vscode.workspace.asRelativePath(uri, false));
  }

  private async update(uri: vscode.Uri): Promise<void> {
    const key = uri.toString();
    const entry = this.isExcluded(uri) ? undefined : await this.inspect(uri);
    if (entry) this.entries.set(key, entry);
    else if (!this.entries.delete(key)) return;
    this.schedulePublish();
  }

  private removeUnder(uri: vscode.Uri): void {
    const key = uri.toString();
    const prefix = key.endsWith('/') ? key : `${key}/`;
    let removed = false;
    for (const k of [...this.entries.keys()]) {
      if (k === key || k.startsWith(prefix)) removed = this.entries.delete(k) || removed;
    }
    if (removed) this.schedulePublish();
  }

  private async inspect(uri: vscode.Uri): Promise<Entry | undefined> {
    const kind = classify(uri.fsPath);
    if (!kind) return undefined;
    const base = { path: uri.fsPath, uri: uri.toString() };
    switch (kind.kind) {
      case 'manifest': {
        const text = await this.readText(uri);
        return text === undefined ? undefined : { kind: 'manifest', value: { ...base, outline: outlineManifest(text) } };
      }
      case 'model': {
        if (kind.byContent && (uri.scheme !== 'file' || !(await sniffPickle(uri.fsPath)))) return undefined;
        if (kind.format === 'tfjs') {
          // Any other model.json (a web app's, a config) is not a model.
          const text = await this.readText(uri);
          if (text === undefined || tfjsModelKind(text) === undefined) return undefined;
        }
        return { kind: 'model', value: { ...base, format: kind.format, auditable: isAuditableFormat(kind.format), unsafe: isUnsafeFormat(kind.format) } };
      }
      case 'dataset':
        return { kind: 'dataset', value: kind.role ? { ...base, format: kind.format, role: kind.role } : { ...base, format: kind.format } };
    }
  }

  private async readText(uri: vscode.Uri): Promise<string | undefined> {
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.type !== vscode.FileType.File || stat.size > MAX_JSON_BYTES) return undefined;
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      // Deleted between the listing and the read: the watcher reports it.
      return undefined;
    }
  }

  private schedulePublish(): void {
    clearTimeout(this.notifyTimer);
    this.notifyTimer = setTimeout(() => this.publish(this.snapshotValue.done), SETTLE_MS);
  }

  private publish(done: boolean): void {
    const values = [...this.entries.values()];
    const byPath = <T extends { path: string }>(a: T, b: T) => a.path.localeCompare(b.path);
    this.snapshotValue = {
      manifests: values.flatMap((e) => (e.kind === 'manifest' ? [e.value] : [])).sort(byPath),
      models: values.flatMap((e) => (e.kind === 'model' ? [e.value] : [])).sort(byPath),
      datasets: values.flatMap((e) => (e.kind === 'dataset' ? [e.value] : [])).sort(byPath),
      done,
    };
    this.changed.fire(this.snapshotValue);
  }
}
