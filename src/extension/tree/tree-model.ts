/**
 * The findings tree as plain data: manifests -> audits -> findings, then the detected
 * models no manifest covers. Built from the same inputs as everything else the user
 * sees (detection, the engine's summaries, the diagnostics it published). Pure, so the
 * structure and wording are unit-tested; tree-provider.ts only turns nodes into TreeItems.
 */
import * as path from 'node:path';
import type { AuditSummary } from '../../shared/protocol';
import type { RuleName, Severity } from '../../shared/rules';
import { FORMAT_LABELS, type ModelFormat } from '../detection/classify';
import { auditModelPath, coveredModelKeys, type DetectionSnapshot } from '../detection/detected';
import { isInside, pathKey } from '../paths';
import { findingsLabel, NOT_AUDITED, PRELIMINARY, shortMetrics } from '../results/summary-format';

/** vscode.DiagnosticSeverity values: Error 0, Warning 1, Information 2, Hint 3. */
export type DiagnosticLevel = 0 | 1 | 2 | 3;

export interface FindingRecord {
  path: string;
  uri: string;
  rule: RuleName;
  audit?: string;
  attack?: string;
  message: string;
  level: DiagnosticLevel;
  /** Zero-based. */
  line: number;
  character: number;
}

export interface FindingNode {
  kind: 'finding';
  id: string;
  label: string;
  description: string;
  finding: FindingRecord;
}

export interface AuditNode {
  kind: 'audit';
  id: string;
  label: string;
  description: string;
  manifest: string;
  name: string;
  model?: string;
  summary?: AuditSummary;
  children: FindingNode[];
}

export interface ManifestNode {
  kind: 'manifest';
  id: string;
  label: string;
  description: string;
  path: string;
  uri: string;
  incomplete: boolean;
  children: (AuditNode | FindingNode)[];
}

export interface ModelNode {
  kind: 'model';
  id: string;
  label: string;
  description: string;
  path: string;
  uri: string;
  format: ModelFormat;
  auditable: boolean;
  unsafe: boolean;
  /** Results of audits run on this model without a manifest. */
  summaries: AuditSummary[];
  children: FindingNode[];
}

export interface GroupNode {
  kind: 'group';
  id: string;
  label: string;
  description: string;
  children: (ModelNode | FindingNode)[];
}

export type TreeNode = ManifestNode | AuditNode | ModelNode | GroupNode | FindingNode;

export interface TreeInput {
  snapshot: DetectionSnapshot;
  summaries: readonly AuditSummary[];
  findings: readonly FindingRecord[];
  /** Path as the user reads it (relative to the workspace). */
  relative: (file: string) => string;
}

export const UNMANIFESTED_GROUP = 'Models without a manifest';
export const OTHER_FINDINGS_GROUP = 'Other findings';

export function buildTree(input: TreeInput): TreeNode[] {
  const { snapshot, summaries, relative } = input;
  const covered = coveredModelKeys(snapshot.manifests);
  const used = new Set<FindingRecord>();
  const findingsOn = (file: string, pick: (f: FindingRecord) => boolean = () => true) => {
    const key = pathKey(file);
    const picked = input.findings.filter((f) => !used.has(f) && pathKey(f.path) === key && pick(f));
    picked.forEach((f) => used.add(f));
    return sortFindings(picked).map(findingNode);
  };

  // Findings on a model.json that a manifest covers mirror the manifest's: shown once, there.
  for (const f of input.findings) if (covered.has(pathKey(f.path))) used.add(f);

  const roots: TreeNode[] = [];
  for (const manifest of snapshot.manifests) {
    const names = new Set(manifest.outline.audits.map((a) => a.name));
    const audits: AuditNode[] = manifest.outline.audits.map((audit) => {
      const summary = summaries.find((s) => s.audit === audit.name && s.manifest !== undefined && pathKey(s.manifest) === pathKey(manifest.path));
      const node: AuditNode = {
        kind: 'audit',
        id: `audit:${manifest.path}#${audit.name}`,
        label: audit.name,
        description: auditDescription(summary),
        manifest: manifest.path,
        name: audit.name,
        children: findingsOn(manifest.path, (f) => f.audit === audit.name),
      };
      if (audit.model !== undefined) node.model = auditModelPath(manifest.path, audit.model);
      if (summary) node.summary = summary;
      return node;
    });
    const manifestLevel = findingsOn(manifest.path, (f) => f.audit === undefined || !names.has(f.audit));
    roots.push({
      kind: 'manifest',
      id: `manifest:${manifest.path}`,
      label: relative(manifest.path),
      description: manifest.outline.incomplete ? 'no audits yet' : `${audits.length} audit${audits.length === 1 ? '' : 's'}`,
      path: manifest.path,
      uri: manifest.uri,
      incomplete: manifest.outline.incomplete,
      children: [...manifestLevel, ...audits],
    });
  }

  const models: ModelNode[] = snapshot.models
    .filter((m) => !covered.has(pathKey(m.path)))
    .map((m) => {
      const own = summaries.filter((s) => s.manifest === undefined && s.model !== '' && pathKey(s.model) === pathKey(m.path));
      return {
        kind: 'model',
        id: `model:${m.path}`,
        label: relative(m.path),
        description: modelDescription(m.format, m.auditable, m.unsafe, own),
        path: m.path,
        uri: m.uri,
        format: m.format,
        auditable: m.auditable,
        unsafe: m.unsafe,
        summaries: own,
        children: findingsOn(m.path),
      };
    });
  if (models.length) {
    roots.push({ kind: 'group', id: 'group:unmanifested', label: UNMANIFESTED_GROUP, description: String(models.length), children: models });
  }

  // Findings on other files (a dataset that failed to load): under the manifest audit whose folder holds them, else listed apart.
  const rest = input.findings.filter((f) => !used.has(f));
  const orphans: FindingNode[] = [];
  for (const f of sortFindings(rest)) {
    const owner = roots
      .flatMap((r) => (r.kind === 'manifest' && isInside(f.path, path.dirname(r.path)) ? r.children : []))
      .find((c): c is AuditNode => c.kind === 'audit' && c.name === f.audit);
    if (owner) owner.children.push(findingNode(f));
    else orphans.push(findingNode(f));
  }
  if (orphans.length) roots.push({ kind: 'group', id: 'group:other', label: OTHER_FINDINGS_GROUP, description: String(orphans.length), children: orphans });
  return roots;
}

export function auditDescription(summary: AuditSummary | undefined): string {
  if (!summary) return NOT_AUDITED;
  const metrics = (shortMetrics(summary) ?? `no result · ${findingsLabel(summary.findings)}`) + (summary.preliminary ? ` · ${PRELIMINARY}` : '');
  return summary.stale ? `${metrics} · stale` : metrics;
}

function modelDescription(format: ModelFormat, auditable: boolean, unsafe: boolean, summaries: readonly AuditSummary[]): string {
  if (unsafe) return `${FORMAT_LABELS[format]} · unsafe to load, never loaded`;
  if (!auditable) return `${FORMAT_LABELS[format]} · not auditable yet`;
  const summary = summaries[0];
  return summary ? auditDescription(summary) : NOT_AUDITED;
}

/** The worst severity among an audit's findings (the engine's), for the node's icon. */
export function riskOf(node: AuditNode | ModelNode): Severity | undefined {
  return node.kind === 'audit' ? node.summary?.severity : node.summaries.find((s) => s.severity !== undefined)?.severity;
}

function findingNode(f: FindingRecord): FindingNode {
  return {
    kind: 'finding',
    id: `finding:${f.path}:${f.line}:${f.character}:${f.rule}:${f.attack ?? ''}:${f.message}`,
    label: f.message,
    description: `${f.rule} · Ln ${f.line + 1}`,
    finding: f,
  };
}

function sortFindings(findings: readonly FindingRecord[]): FindingRecord[] {
  return [...findings].sort((a, b) => a.level - b.level || a.line - b.line || a.character - b.character);
}
