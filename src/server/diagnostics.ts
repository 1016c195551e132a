/**
 * Audit findings -> LSP diagnostics, grouped by the file they belong to. Pure: the
 * caller supplies how to locate "modelTopology" in a model.json, so tests need no files.
 */
import * as path from 'node:path';
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation, type Range } from 'vscode-languageserver';
import type { AuditReport, Finding, TextRange } from '../engine/report/schema';
import { RULES, ruleDocPath, type RuleName, type Severity } from '../shared/rules';
import { pathKey, pathToUri } from './uris';

export const DIAGNOSTIC_SOURCE = 'model-privacy';
export const STALE_PREFIX = '[stale: inputs changed since this audit] ';
/** Findings of a result from the threshold attacks alone, shown until the shadow-model attacks finish. */
export const PRELIMINARY_PREFIX = '[preliminary: threshold attacks only] ';

/** Findings about the model itself: also shown in its model.json. */
const MIRRORED_RULES: ReadonlySet<RuleName> = new Set(['membership-risk', 'generalization-gap']);

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  high: DiagnosticSeverity.Error,
  medium: DiagnosticSeverity.Warning,
  low: DiagnosticSeverity.Information,
  info: DiagnosticSeverity.Hint,
};

/** No range means "the whole file"; the first line, through its line break, says so without covering everything. */
const WHOLE_FIRST_LINE: Range = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
/** Related locations point at files, not places in them. */
const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** What a code action needs to know about the finding behind a diagnostic. */
export interface FindingDiagnosticData {
  rule: RuleName;
  audit?: string;
  attack?: string;
  /** defense-recommendation: the recommended defense's configuration as JSON text, which the quick fix pastes. */
  config?: string;
}

export interface DiagnosticsOptions {
  /** Prefix for ruleDocPath(rule); without it diagnostics carry no documentation link. */
  docsBaseUri?: string;
  /** Audits whose inputs changed since the report was made. */
  staleAudits?: ReadonlySet<string>;
  /** Range of the "modelTopology" key of a model.json (absolute path), if it has one. */
  modelTopologyRange?: (modelFile: string) => Range | undefined;
  /**
   * Leave out findings that only restate manifest problems (invalid-input without an
   * audit, on the manifest itself): the server's live manifest validation shows those.
   */
  skipManifestProblems?: boolean;
}

export interface FileDiagnostics {
  file: string;
  diagnostics: Diagnostic[];
}

/** Diagnostics per file (keyed by pathKey), in the order of the report's findings. */
export function reportDiagnostics(report: AuditReport, options: DiagnosticsOptions = {}): Map<string, FileDiagnostics> {
  const byFile = new Map<string, FileDiagnostics>();
  const add = (file: string, diagnostic: Diagnostic) => {
    const key = pathKey(file);
    let entry = byFile.get(key);
    if (!entry) byFile.set(key, (entry = { file, diagnostics: [] }));
    entry.diagnostics.push(diagnostic);
  };
  const absolute = (file: string) => path.resolve(report.root, file);
  const manifestFile = report.manifest !== undefined ? absolute(report.manifest) : undefined;

  for (const finding of report.findings) {
    const file = absolute(finding.location.file);
    if (options.skipManifestProblems && isManifestProblem(finding, file, manifestFile)) continue;
    const stale = finding.audit !== undefined && (options.staleAudits?.has(finding.audit) ?? false);
    const diagnostic = findingDiagnostic(finding, report.root, stale, options.docsBaseUri);
    // The engine's own threshold-only-audit finding already says so; every other finding gets the prefix.
    if (isPreliminary(report, finding) && finding.rule !== 'threshold-only-audit') diagnostic.message = prefixed(diagnostic.message, stale);
    const model = modelFileOf(report, finding);
    const onModel = model !== undefined && pathKey(model) === pathKey(file);
    // Without a manifest (a proposal) findings sit on the model: its topology key beats line 1.
    if (onModel && !finding.location.range && isJson(file)) diagnostic.range = options.modelTopologyRange?.(file) ?? diagnostic.range;
    add(file, diagnostic);

    if (model !== undefined && !onModel && MIRRORED_RULES.has(finding.rule) && isJson(model)) {
      add(model, {
        ...diagnostic,
        range: options.modelTopologyRange?.(model) ?? WHOLE_FIRST_LINE,
        message: `${finding.audit !== undefined ? `audit "${finding.audit}": ` : ''}${diagnostic.message}`,
        // Point back at the manifest entry the finding came from.
        relatedInformation: [
          { location: { uri: pathToUri(file), range: toRange(finding.location.range) ?? FILE_START }, message: 'the audit in the manifest' },
          ...(diagnostic.relatedInformation ?? []),
        ],
      });
    }
  }
  return byFile;
}

export function findingDiagnostic(finding: Finding, root: string, stale: boolean, docsBaseUri?: string): Diagnostic {
  const severity = SEVERITY[finding.severity];
  const data: FindingDiagnosticData = { rule: finding.rule };
  if (finding.audit !== undefined) data.audit = finding.audit;
  if (finding.attack !== undefined) data.attack = finding.attack;
  if (finding.rule === 'defense-recommendation' && typeof finding.data?.config === 'string') data.config = finding.data.config;
  const diagnostic: Diagnostic = {
    range: toRange(finding.location.range) ?? WHOLE_FIRST_LINE,
    // A stale result is a reminder to re-run, not a verdict: never more than Information.
    severity: stale ? Math.max(severity, DiagnosticSeverity.Information) as DiagnosticSeverity : severity,
    source: DIAGNOSTIC_SOURCE,
    code: RULES[finding.rule].name,
    message: (stale ? STALE_PREFIX : '') + finding.message,
    data,
  };
  if (docsBaseUri) diagnostic.codeDescription = { href: docHref(docsBaseUri, finding.rule) };
  const related: DiagnosticRelatedInformation[] = finding.related.map((r) => ({
    location: { uri: pathToUri(path.resolve(root, r.file)), range: FILE_START },
    message: r.message,
  }));
  if (related.length) diagnostic.relatedInformation = related;
  return diagnostic;
}

export function docHref(docsBaseUri: string, rule: RuleName): string {
  return (docsBaseUri.endsWith('/') ? docsBaseUri : `${docsBaseUri}/`) + ruleDocPath(rule);
}

function isJson(file: string): boolean {
  return file.toLowerCase().endsWith('.json');
}

function toRange(range: TextRange | undefined): Range | undefined {
  return range ? { start: { ...range.start }, end: { ...range.end } } : undefined;
}

function isManifestProblem(finding: Finding, file: string, manifestFile: string | undefined): boolean {
  return finding.rule === 'invalid-input' && finding.audit === undefined && manifestFile !== undefined && pathKey(file) === pathKey(manifestFile);
}

function isPreliminary(report: AuditReport, finding: Finding): boolean {
  return finding.audit !== undefined && report.audits.some((a) => a.name === finding.audit && a.preliminary === true);
}

/** After the stale prefix, which is the more urgent of the two. */
function prefixed(message: string, stale: boolean): string {
  return stale ? STALE_PREFIX + PRELIMINARY_PREFIX + message.slice(STALE_PREFIX.length) : PRELIMINARY_PREFIX + message;
}

/** The model file of the finding's audit, absolute. */
function modelFileOf(report: AuditReport, finding: Finding): string | undefined {
  const audit = report.audits.find((a) => a.name === finding.audit);
  return audit ? path.resolve(report.root, audit.model) : undefined;
}
