/**
 * The hover that explains a finding in plain words: the rule's help text from
 * src/shared/rules.ts, the audit's measured numbers, and links to the report and the
 * rule's documentation. Pure; every value from the engine or the workspace is escaped,
 * because the hover's MarkdownString trusts the command links it carries.
 */
import type { AuditSummary } from '../../shared/protocol';
import { RULES } from '../../shared/rules';
import { COMMANDS } from '../command-ids';
import type { FindingRef } from '../findings/finding-ref';
import type { ReportArgs } from '../codelens/audit-lenses';
import { findingsLabel, longMetrics, severityLabel } from '../results/summary-format';
import { escapeMarkdown } from '../status-text';

export interface HoverInput {
  ref: FindingRef;
  summary?: AuditSummary;
  /** Where the report of the finding's audit is filed, when known. */
  report?: ReportArgs;
  /** The rule's documentation (a URI string). */
  docUri?: string;
}

export function commandLink(title: string, command: string, args: unknown[]): string {
  return `[${title}](command:${command}?${encodeURIComponent(JSON.stringify(args))})`;
}

export function findingHover(input: HoverInput): string {
  const rule = RULES[input.ref.rule];
  const lines = [`**${escapeMarkdown(rule.name)}** (${rule.id}): ${escapeMarkdown(rule.short)}`, '', escapeMarkdown(rule.help)];
  if (input.ref.attack) lines.push('', `Attack: \`${input.ref.attack.replace(/`/g, '')}\``);
  if (input.summary) lines.push('', summaryLine(input.summary));
  const links: string[] = [];
  if (input.report && input.summary?.auc !== undefined) links.push(commandLink('Open report', COMMANDS.openReport, [input.report]));
  if (input.docUri) links.push(`[Rule documentation](${input.docUri})`);
  if (links.length) lines.push('', links.join(' · '));
  return lines.join('\n');
}

/** The hover over an audit's name in a manifest. */
export function auditHover(manifest: string, name: string, summary: AuditSummary | undefined): string {
  const links = [commandLink('Run audit', COMMANDS.audit, [{ target: manifest, audit: name }])];
  if (summary?.auc !== undefined) links.push(commandLink('Open report', COMMANDS.openReport, [{ reportKey: summary.reportKey, audit: name } satisfies ReportArgs]));
  return [`**Audit ${escapeMarkdown(name)}**`, '', summary ? summaryLine(summary) : 'Not audited yet.', '', links.join(' · ')].join('\n');
}

function summaryLine(summary: AuditSummary): string {
  const metrics = longMetrics(summary);
  const strongest = summary.bestAttack ? `strongest attack \`${summary.bestAttack.replace(/`/g, '')}\`: ` : '';
  const measured = metrics ? `${strongest}${escapeMarkdown(metrics)}` : 'no attack result';
  const stale = summary.stale ? ' *(stale: inputs changed since this audit)*' : '';
  const preliminary = summary.preliminary ? ' *(preliminary: threshold attacks only; the shadow-model attacks decide the final verdict)*' : '';
  return `Measured: ${measured}; ${escapeMarkdown(severityLabel(summary.severity))}, ${findingsLabel(summary.findings)}.${preliminary}${stale}`;
}
