/**
 * Scanner findings -> diagnostics on the scanned file. Binary files have no lines, so a
 * finding covers the file (findingDiagnostic's first-line range, as for other binary
 * artifacts); the callable and byte offset stay in the message.
 */
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver';
import type { ScanResult } from '../engine/scan';
import { findingDiagnostic } from './diagnostics';

export function scanDiagnostics(result: ScanResult, docsBaseUri?: string): Diagnostic[] {
  return result.findings.map((finding) => findingDiagnostic(finding, path.dirname(result.file), false, docsBaseUri));
}
