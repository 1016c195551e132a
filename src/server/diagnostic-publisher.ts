/**
 * One owner of textDocument/publishDiagnostics. Several sources feed it (the live
 * validation of each manifest, the report of each audited target); a publish replaces
 * everything the client shows for a file, so the publisher merges the sources per file
 * and clears files that no source has diagnostics for any more.
 */
import type { Diagnostic } from 'vscode-languageserver';
import type { FileDiagnostics } from './diagnostics';
import { pathKey, pathToUri } from './uris';

export type PublishFn = (uri: string, diagnostics: Diagnostic[]) => void;

export class DiagnosticPublisher {
  /** source -> pathKey -> diagnostics of that source for that file. */
  private readonly sources = new Map<string, Map<string, FileDiagnostics>>();
  /** pathKey -> URI, for files the client currently has diagnostics for. */
  private readonly published = new Map<string, string>();
  /** URIs the client spelled itself (open documents); reused so both sides name a file alike. */
  private readonly clientUris = new Map<string, string>();

  constructor(private readonly publish: PublishFn) {}

  rememberClientUri(file: string, uri: string): void {
    this.clientUris.set(pathKey(file), uri);
  }

  /** Replaces everything `source` says; files it no longer mentions are republished without it. */
  set(source: string, files: ReadonlyMap<string, FileDiagnostics>): void {
    const before = this.sources.get(source);
    if (files.size === 0) this.sources.delete(source);
    else this.sources.set(source, new Map(files));
    const touched = new Map<string, string>();
    for (const [key, entry] of before ?? []) touched.set(key, entry.file);
    for (const [key, entry] of files) touched.set(key, entry.file);
    for (const [key, file] of touched) this.republish(key, file);
  }

  setFile(source: string, file: string, diagnostics: Diagnostic[]): void {
    this.set(source, diagnostics.length ? new Map([[pathKey(file), { file, diagnostics }]]) : new Map());
  }

  clear(source: string): void {
    this.set(source, new Map());
  }

  /** Everything currently shown for a file, merged over sources (for tests and code actions). */
  diagnosticsOf(file: string): Diagnostic[] {
    const key = pathKey(file);
    return [...this.sources.values()].flatMap((files) => files.get(key)?.diagnostics ?? []);
  }

  private republish(key: string, file: string): void {
    const diagnostics = [...this.sources.values()].flatMap((files) => files.get(key)?.diagnostics ?? []);
    if (diagnostics.length === 0 && !this.published.has(key)) return;
    const previous = this.published.get(key);
    const uri = this.clientUris.get(key) ?? previous ?? pathToUri(file);
    // A file first published under our spelling, now open under the client's: clear the old one.
    if (previous !== undefined && previous !== uri) this.publish(previous, []);
    this.publish(uri, diagnostics);
    if (diagnostics.length) this.published.set(key, uri);
    else this.published.delete(key);
  }
}
