/**
 * Live validation of privacy-audit.json: problems appear as the user types (debounced),
 * from the editor's text while the file is open and from the file on disk otherwise.
 */
import * as fs from 'node:fs';
import { parseManifest } from '../engine/manifest';
import type { DiagnosticPublisher } from './diagnostic-publisher';
import { errorText, type Log } from './log';
import { manifestProblemDiagnostics } from './manifest-diagnostics';
import { manifestWorkspaceRoot } from './target-resolution';
import { pathKey } from './uris';

/** Long enough to skip the keystrokes of a word, short enough to feel live. */
export const VALIDATION_DELAY_MS = 200;

export class ManifestValidator {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly publisher: DiagnosticPublisher,
    private readonly log: Log,
    private readonly docsBaseUri: string | undefined,
    /** modelPrivacy.allowOutsideWorkspace: paths outside the workspace are then no error. */
    private readonly allowOutsideWorkspace: () => boolean = () => false,
    /** The VS Code workspace folders: a manifest's paths must stay inside the one holding it. */
    private readonly workspaceFolders: () => readonly string[] = () => [],
  ) {}

  /** Validates the editor's text after a pause in typing. */
  schedule(file: string, text: () => string): void {
    const key = pathKey(file);
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.validateText(file, text());
    }, VALIDATION_DELAY_MS));
  }

  validateText(file: string, text: string): void {
    try {
      const { problems } = parseManifest(text, file, {
        allowOutsideWorkspace: this.allowOutsideWorkspace(),
        workspaceRoot: manifestWorkspaceRoot(file, this.workspaceFolders()),
      });
      this.publisher.setFile(sourceOf(file), file, manifestProblemDiagnostics(problems, this.docsBaseUri));
    } catch (e) {
      // parseManifest is meant never to throw; if it does, the user still gets a server.
      this.log.error(`Validating ${file} failed:\n${errorText(e)}`);
    }
  }

  /** The saved file's problems (closed documents, manifests found on disk); none if it is gone. */
  validateFile(file: string): void {
    this.cancel(file);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      this.publisher.clear(sourceOf(file));
      return;
    }
    this.validateText(file, text);
  }

  cancel(file: string): void {
    const key = pathKey(file);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }
}

function sourceOf(file: string): string {
  return `manifest:${pathKey(file)}`;
}
