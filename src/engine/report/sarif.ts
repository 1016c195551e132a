/**
 * The report as a SARIF 2.1.0 log (one run), for code-scanning services and SARIF
 * viewers. Only findings become results; the measurements stay in the JSON/HTML reports.
 */
import { createHash } from 'node:crypto';
import { sanitizeStrings } from './escape';
import { RULES, ruleDocPath, type RuleName, type Severity } from '../../shared/rules';
import type { AuditReport, Finding, TextRange } from './schema';
import { defenseRows } from './defense-table';
import { absolutePathToFileUri, isAbsolutePath, relativePathToUri } from './sarif-uri';

export const SARIF_VERSION = '2.1.0';
export const SARIF_SCHEMA_URI =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** The base id relative artifact URIs are resolved against: the report's root folder. */
export const SRCROOT = 'SRCROOT';
/** Key of the one partial fingerprint; bump the version if its inputs ever change. */
export const FINGERPRINT_KEY = 'privacyLintFinding/v1';

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export const SARIF_LEVEL: Record<Severity, SarifLevel> = {
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

export interface SarifMessage {
  text: string;
  markdown?: string;
}

export interface SarifArtifactLocation {
  uri?: string;
  uriBaseId?: string;
  index?: number;
  description?: SarifMessage;
}

export interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

export interface SarifLocation {
  id?: number;
  physicalLocation: { artifactLocation: SarifArtifactLocation; region?: SarifRegion };
  message?: SarifMessage;
}

export interface SarifReportingDescriptor {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  help: SarifMessage;
  defaultConfiguration: { level: SarifLevel };
  properties: { documentation: string; tags: string[] };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations: SarifLocation[];
  relatedLocations?: SarifLocation[];
  partialFingerprints: Record<string, string>;
  properties: Record<string, unknown>;
}

export interface SarifArtifact {
  location: SarifArtifactLocation;
  roles?: string[];
}

export interface SarifNotification {
  level: SarifLevel;
  message: SarifMessage;
  properties?: Record<string, unknown>;
}

export interface SarifRun {
  tool: { driver: { name: string; version: string; rules: SarifReportingDescriptor[] } };
  invocations: { executionSuccessful: boolean; endTimeUtc?: string; toolExecutionNotifications?: SarifNotification[] }[];
  originalUriBaseIds: Record<string, SarifArtifactLocation>;
  artifacts: SarifArtifact[];
  /** TextRange characters are LSP positions, i.e. UTF-16 code units. */
  columnKind: 'utf16CodeUnits';
  results: SarifResult[];
  properties: Record<string, unknown>;
}

export interface SarifLog {
  $schema: string;
  version: typeof SARIF_VERSION;
  runs: [SarifRun];
}

export function toSarif(untrusted: AuditReport): SarifLog {
  // Names, paths and messages come from the user's files: escaped and bounded (escape.ts).
  const report = sanitizeStrings(untrusted);
  const artifacts = new ArtifactTable();
  collectArtifacts(report, artifacts);

  const ruleNames = presentRules(report.findings);
  const rules = ruleNames.map(reportingDescriptor);
  const results = report.findings.map((f) => result(f, ruleNames.indexOf(f.rule), artifacts));

  const notifications = report.audits.flatMap((audit) =>
    audit.errors.map(
      (e): SarifNotification => ({
        level: 'error',
        message: { text: `Audit "${audit.name}": attack ${e.attack} failed: ${e.message}` },
        properties: { audit: audit.name, attack: e.attack },
      }),
    ),
  );

  const tradeoffs = defenseTradeoffs(report);
  const run: SarifRun = {
    tool: { driver: { name: report.tool.name, version: report.tool.version, rules } },
    invocations: [
      {
        // The run finished; attacks that failed are reported as notifications, not as a tool failure.
        executionSuccessful: true,
        ...(isIsoDate(report.createdAt) ? { endTimeUtc: report.createdAt } : {}),
        ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
      },
    ],
    originalUriBaseIds: { [SRCROOT]: rootLocation(report.root) },
    artifacts: artifacts.list(),
    columnKind: 'utf16CodeUnits',
    results,
    properties: {
      reportSchemaVersion: report.schemaVersion,
      backend: report.backend,
      createdAt: report.createdAt,
      ...(report.manifest !== undefined ? { manifest: report.manifest } : {}),
      ...(tradeoffs.length ? { defenseTradeoffs: tradeoffs } : {}),
    },
  };
  return { $schema: SARIF_SCHEMA_URI, version: SARIF_VERSION, runs: [run] };
}

/** The trade-off table of every audit that evaluated defenses, for CI dashboards: plain numbers, null for n/a. */
function defenseTradeoffs(report: AuditReport): Record<string, unknown>[] {
  return report.audits.flatMap((audit) => {
    const c = audit.defenses;
    if (!c) return [];
    const finite = (x: number) => (Number.isFinite(x) ? x : null);
    return [{
      audit: audit.name,
      frontFpr: Number(c.frontFpr),
      ...(c.recommendation ? { recommendation: c.recommendation } : {}),
      rows: defenseRows(c).map((r) => ({
        id: r.id,
        kind: r.kind,
        testAccuracy: finite(r.testAccuracy),
        trainAccuracy: finite(r.trainAccuracy),
        accuracyCost: finite(r.accuracyCost),
        worstTpr: finite(r.worstTpr),
        bestAuc: finite(r.bestAuc),
        ...(r.accountedEpsilon !== undefined ? { accountedEpsilon: r.accountedEpsilon } : {}),
        ...(r.accountedEpsilonImproved !== undefined ? { accountedEpsilonImproved: r.accountedEpsilonImproved } : {}),
        ...(r.empiricalEpsilon !== undefined ? { empiricalEpsilon: finite(r.empiricalEpsilon) } : {}),
        paretoOptimal: r.paretoOptimal,
        meetsPolicy: r.meetsPolicy,
        recommended: r.recommended,
        ...(r.errors.length ? { errors: r.errors } : {}),
      })),
    }];
  });
}

/** Rules in RULES order, only those some finding uses. */
function presentRules(findings: readonly Finding[]): RuleName[] {
  const used = new Set(findings.map((f) => f.rule));
  return (Object.keys(RULES) as RuleName[]).filter((r) => used.has(r));
}

/**
 * helpUri must be an absolute URI, but the rule documentation ships inside the package
 * and its install location is unknown to a SARIF consumer; so the documentation path goes
 * into the help text and properties.documentation instead.
 */
function reportingDescriptor(name: RuleName): SarifReportingDescriptor {
  const rule = RULES[name];
  const doc = ruleDocPath(name);
  return {
    id: rule.id,
    name: rule.name,
    shortDescription: { text: rule.short },
    fullDescription: { text: rule.help },
    help: {
      text: `${rule.short}\n\n${rule.help}\n\nDocumentation: ${doc} in the privacy-lint package.`,
      markdown: `**${escapeMarkdown(rule.short)}**\n\n${escapeMarkdown(rule.help)}\n\nDocumentation: \`${doc}\` in the privacy-lint package.`,
    },
    defaultConfiguration: { level: SARIF_LEVEL[rule.defaultSeverity] },
    properties: { documentation: doc, tags: ['privacy'] },
  };
}

function result(finding: Finding, ruleIndex: number, artifacts: ArtifactTable): SarifResult {
  const { range } = finding.location;
  const related = finding.related.map(
    (r, i): SarifLocation => ({
      // ids keep two related entries naming the same file distinct (SARIF wants them unique).
      id: i,
      physicalLocation: { artifactLocation: artifacts.locate(r.file) },
      message: { text: r.message },
    }),
  );
  return {
    ruleId: RULES[finding.rule].id,
    ruleIndex,
    level: SARIF_LEVEL[finding.severity],
    message: { text: finding.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: artifacts.locate(finding.location.file),
          ...(range ? { region: region(range) } : {}),
        },
      },
    ],
    ...(related.length ? { relatedLocations: related } : {}),
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(finding) },
    properties: {
      severity: finding.severity,
      ...(finding.audit !== undefined ? { audit: finding.audit } : {}),
      ...(finding.attack !== undefined ? { attack: finding.attack } : {}),
      // Nested, not spread: a data key such as "tags" must not collide with SARIF's own property names.
      ...(finding.data ? { data: finding.data } : {}),
    },
  };
}

/** SARIF lines and columns are 1-based; TextRange is 0-based like LSP. */
export function region(range: TextRange): SarifRegion {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

/**
 * Stable across runs: it ignores the message, numbers and position, which change when the
 * model is retrained. The file is included because one rule can fire on several files with
 * no audit or attack (two pickle files, say).
 */
export function fingerprint(finding: Finding): string {
  const key = [finding.rule, finding.audit ?? '', finding.attack ?? '', finding.location.file].join('\u0000');
  return createHash('sha256').update(key).digest('hex');
}

function rootLocation(root: string): SarifArtifactLocation {
  if (isAbsolutePath(root)) return { uri: absolutePathToFileUri(root, true) };
  // A relative root has no absolute URI; SARIF allows a base id without one.
  return { description: { text: `The folder the report's paths are relative to: ${root}` } };
}

/** run.artifacts, deduplicated by URI; locations point back at their entry by index. */
class ArtifactTable {
  private readonly entries: { location: SarifArtifactLocation; roles: Set<string> }[] = [];
  private readonly byUri = new Map<string, number>();

  add(file: string, role?: string): number {
    const location = this.baseLocation(file);
    const key = `${location.uriBaseId ?? ''}|${location.uri}`;
    let index = this.byUri.get(key);
    if (index === undefined) {
      index = this.entries.length;
      this.entries.push({ location, roles: new Set() });
      this.byUri.set(key, index);
    }
    if (role) this.entries[index]?.roles.add(role);
    return index;
  }

  locate(file: string): SarifArtifactLocation {
    return { ...this.baseLocation(file), index: this.add(file) };
  }

  list(): SarifArtifact[] {
    return this.entries.map((e) => ({ location: e.location, ...(e.roles.size ? { roles: [...e.roles] } : {}) }));
  }

  private baseLocation(file: string): SarifArtifactLocation {
    if (isAbsolutePath(file)) return { uri: absolutePathToFileUri(file) };
    return { uri: relativePathToUri(file), uriBaseId: SRCROOT };
  }
}

function collectArtifacts(report: AuditReport, artifacts: ArtifactTable): void {
  if (report.manifest !== undefined) artifacts.add(report.manifest, 'userSpecifiedConfiguration');
  for (const audit of report.audits) {
    artifacts.add(audit.model, 'analysisTarget');
    for (const data of [audit.members, audit.nonMembers, audit.population]) if (data) artifacts.add(data.file);
  }
  for (const f of report.findings) {
    artifacts.add(f.location.file);
    for (const r of f.related) artifacts.add(r.file);
  }
}

function isIsoDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text));
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|]/g, (c) => `\\${c}`);
}
