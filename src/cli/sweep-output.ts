/**
 * The combined report of a sweep: a text table with one line per audit, one SARIF run
 * holding every manifest's findings, and a JSON list of the per-manifest reports written
 * as each one finishes (so the sweep never holds them all).
 */
import { TOOL_VERSION, type SweepEntry, type SweepResult } from '../engine/audit';
import { toJson, toSarif, REPORT_SCHEMA_VERSION, type AuditReport, type Finding, type SarifLog } from '../engine/report';
import type { SarifNotification } from '../engine/report/sarif';
import { isInputProblem } from './exit-codes';
import { guardWorkflowCommands, sanitizeStrings } from '../engine/report/escape';
import { countBySeverity, findingPlace, fixed, percent, ruleLabel, sortBySeverity } from '../engine/report/format';

export const SWEEP_FORMATS = ['text', 'json', 'sarif'] as const;
export type SweepFormat = (typeof SWEEP_FORMATS)[number];

export const SWEEP_FILE_NAMES: Record<SweepFormat, string> = {
  text: 'sweep.txt',
  json: 'sweep.json',
  sarif: 'sweep.sarif',
};

/** Every finding of the sweep: its own, then each manifest's in path order; locations relative to the sweep's root. */
export function sweepFindings(result: SweepResult): Finding[] {
  return [...result.findings, ...result.entries.flatMap((e) => e.findings)];
}

export function sweepToText(untrusted: SweepResult): string {
  // Manifest paths, audit names and messages come from the swept repository: escaped, bounded (escape.ts).
  const result = sanitizeStrings(untrusted);
  const header = ['Manifest', 'Audit', 'Status', 'Members', 'Non-members', 'Acc. gap', 'Best attack', 'AUC', 'TPR@0.1%FPR', 'Findings H/M/L'];
  const rows: string[][] = [];
  for (const entry of result.entries) {
    const counts = (audit?: string) => {
      const c = countBySeverity(entry.findings.filter((f) => audit === undefined || f.audit === audit));
      return `${c.high}/${c.medium}/${c.low}`;
    };
    const status = entry.status === 'audited' && entry.findings.some(isInputProblem) ? 'input error' : entry.status;
    if (entry.audits.length === 0) {
      rows.push([entry.manifest, '-', status, '', '', '', '', '', '', counts()]);
      continue;
    }
    for (const a of entry.audits) {
      const gap = (a.accuracy.members - a.accuracy.nonMembers) * 100;
      rows.push([
        entry.manifest, a.name, a.attackErrors.length ? `${status}, ${a.attackErrors.length} attack(s) failed` : status,
        String(a.members), String(a.nonMembers), `${gap.toFixed(1)} pts`,
        a.bestAttack ?? '-', fixed(a.auc), percent(a.tprAt01pctFpr), counts(a.name),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const findings = sweepFindings(result);
  const byStatus = (s: SweepEntry['status']) => result.entries.filter((e) => e.status === s).length;
  const lines = [
    `Model privacy sweep - privacy-lint ${TOOL_VERSION}, backend ${result.backend ?? 'n/a'}`,
    `Root: ${result.root}`,
    `${result.entries.length} of ${result.found} manifest(s): ${byStatus('audited')} audited, ${byStatus('failed')} failed, ${byStatus('cancelled')} cancelled${result.cancelled ? ' (sweep cancelled)' : ''}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${findings.length} finding(s)`,
    ...sortBySeverity(findings).map((f) => `  ${f.severity.padEnd(6)} ${findingPlace(f)}  ${ruleLabel(f)}${f.audit ? ` [${f.audit}]` : ''}: ${f.message}`),
  ];
  return guardWorkflowCommands(`${lines.join('\n')}\n`);
}

/** A report of the swept folder itself, with no audits of its own: it carries findings. */
export function folderReport(result: SweepResult, findings: AuditReport['findings']): AuditReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'privacy-lint', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    backend: result.backend ?? 'none',
    root: result.root,
    audits: [],
    findings,
  };
}

/** One SARIF run with every finding; failed and cancelled manifests and failed attacks become notifications. */
export function sweepToSarif(result: SweepResult): SarifLog {
  const combined = folderReport(result, sweepFindings(result));
  const log = toSarif(combined);
  const run = log.runs[0];
  const notifications: SarifNotification[] = result.entries.flatMap((e) => [
    ...(e.status === 'audited' ? [] : [{ level: (e.status === 'failed' ? 'error' : 'warning') as SarifNotification['level'], message: { text: `${e.manifest}: ${e.status}` }, properties: { manifest: e.manifest } }]),
    ...e.audits.flatMap((a) => a.attackErrors.map((err): SarifNotification => ({
      level: 'error',
      message: { text: `${e.manifest}: audit "${a.name}": attack ${err.attack} failed: ${err.message}` },
      properties: { manifest: e.manifest, audit: a.name, attack: err.attack },
    }))),
  ]);
  const invocation = run.invocations[0];
  if (notifications.length) invocation.toolExecutionNotifications = [...(invocation.toolExecutionNotifications ?? []), ...notifications];
  // A cancelled sweep did not look at everything it was asked to.
  invocation.executionSuccessful = !result.cancelled;
  run.properties.sweep = {
    found: result.found,
    manifests: result.entries.map((e) => ({ manifest: e.manifest, status: e.status, audits: e.audits.map((a) => a.name) })),
    cancelled: result.cancelled,
  };
  return log;
}

/** A high-severity problem with the user's files (not an attack's result): the audit command's exit 2. */

/** Writes a JSON array one report at a time through `write`. */
export class JsonReportList {
  private count = 0;
  constructor(private readonly write: (text: string) => Promise<void>) {}

  async add(report: AuditReport): Promise<void> {
    const item = toJson(report).trimEnd().replace(/\n/g, '\n  ');
    await this.write(`${this.count++ === 0 ? '[\n  ' : ',\n  '}${item}`);
  }

  async close(): Promise<void> {
    await this.write(this.count === 0 ? '[]\n' : '\n]\n');
  }
}
