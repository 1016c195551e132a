/**
 * privacy-audit.json text -> Manifest, or problems with exact ranges. Never throws on bad
 * input: the editor calls it on every keystroke and the CLI reports what it returns.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { buildManifest, type RawManifest } from './build';
import { duplicateKeyProblems } from './duplicate-keys';
import { ManifestRanges } from './ranges';
import { schemaProblems } from './schema-validation';
import { semanticProblems } from './semantic-checks';
import { nestingProblem, parseJsonWithOffsets, syntaxProblems } from './syntax';
import type { Manifest, ManifestProblem } from './types';

export interface ParseManifestOptions {
  /** Defaults to fs.existsSync; the editor passes a check that also sees unsaved files. */
  fileExists?: (absPath: string) => boolean;
  /** Paths must resolve inside this folder (after symlinks); default: the manifest's folder. */
  workspaceRoot?: string;
  /** Allow paths outside the workspace root: only from the user (CLI flag, machine setting), never the manifest. */
  allowOutsideWorkspace?: boolean;
}

export interface ParseManifestResult {
  /** Present only when there is no error (warnings allowed). */
  manifest?: Manifest;
  /** Sorted by position. */
  problems: ManifestProblem[];
  ranges: ManifestRanges;
}

export function parseManifest(text: string, file: string, opts: ParseManifestOptions = {}): ParseManifestResult {
  // The JSON parser and every walker recurse per level: refuse absurd nesting up front.
  const tooDeep = nestingProblem(text);
  if (tooDeep) return { problems: [tooDeep], ranges: new ManifestRanges(text, undefined) };
  const parsed = parseJsonWithOffsets(text);
  const ranges = new ManifestRanges(text, parsed.root);
  if (parsed.syntaxErrors.length > 0) {
    // Validating a half-parsed document would report follow-on errors of the typo.
    return { problems: syntaxProblems(text, parsed.syntaxErrors, ranges), ranges };
  }
  const problems = [
    ...duplicateKeyProblems(parsed.root, parsed.value, ranges),
    ...schemaProblems(parsed.value, ranges),
    ...semanticProblems(parsed.value, ranges, {
      dir: path.dirname(path.resolve(file)),
      fileExists: opts.fileExists ?? existsSync,
      root: opts.workspaceRoot,
      allowOutside: opts.allowOutsideWorkspace,
    }),
  ].sort((a, b) => a.range.offset - b.range.offset || a.range.length - b.range.length);

  if (problems.some((p) => p.severity === 'error')) return { problems, ranges };
  return { manifest: buildManifest(parsed.value as RawManifest, file), problems, ranges };
}
