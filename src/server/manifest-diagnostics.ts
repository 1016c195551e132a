/** Manifest problems (syntax, schema, semantics) -> diagnostics, as the user types. */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { ManifestProblem } from '../engine/manifest';
import { RULES } from '../shared/rules';
import { DIAGNOSTIC_SOURCE, docHref, type FindingDiagnosticData } from './diagnostics';

export function manifestProblemDiagnostics(problems: readonly ManifestProblem[], docsBaseUri?: string): Diagnostic[] {
  return problems.map((p) => {
    const data: FindingDiagnosticData = { rule: 'invalid-input' };
    const diagnostic: Diagnostic = {
      range: { start: { ...p.range.start }, end: { ...p.range.end } },
      severity: p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      source: DIAGNOSTIC_SOURCE,
      code: RULES['invalid-input'].name,
      message: p.message,
      data,
    };
    if (docsBaseUri) diagnostic.codeDescription = { href: docHref(docsBaseUri, 'invalid-input') };
    return diagnostic;
  });
}
