/** The report as plain text for a terminal: an aligned table per audit, then findings by severity. */
import { REPORTED_FPRS, type OperatingPoint } from '../metrics/types';
import { RULES, type Severity } from '../../shared/rules';
import {
  countBySeverity,
  findingPlace,
  fixed,
  fprLabel,
  intervalLabel,
  percent,
  ruleLabel,
  rulesToAct,
  SEVERITIES_DESC,
} from './format';
import { defenseAttackCells, defenseAttackHeader, defenseRows, defenseTableCells, defenseTableHeader } from './defense-table';
import type { AuditReport, AuditResult, DatasetSummary, DefenseComparison, EnsembleComparison, Finding } from './schema';
import { shadowQualityText, verdictBasisText } from './verdict-text';
import { guardWorkflowCommands, sanitizeStrings } from './escape';

/** Marks a TPR whose target FPR is below 1/non-members. */
const UNMEASURABLE_MARK = '*';

export function toText(untrusted: AuditReport): string {
  // Names, paths and messages come from the user's files: one escaped, bounded line each.
  const report = sanitizeStrings(untrusted);
  const lines: string[] = [];
  lines.push(`Model privacy report - ${report.tool.name} ${report.tool.version}, ${report.createdAt}, backend ${report.backend}`);
  if (report.manifest !== undefined) lines.push(`Manifest: ${report.manifest}`);
  lines.push(`Root: ${report.root}`);
  lines.push(findingCounts(report.findings));
  for (const audit of report.audits) lines.push('', ...auditLines(audit));
  lines.push('', ...findingLines(report.findings));
  const act = whatToDoLines(report.findings);
  if (act.length > 0) lines.push('', ...act);
  return guardWorkflowCommands(`${lines.join('\n')}\n`);
}

function findingCounts(findings: readonly Finding[]): string {
  const counts = countBySeverity(findings);
  const parts = SEVERITIES_DESC.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${findings.length} finding${findings.length === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function datasetLine(d: DatasetSummary): string {
  return `${d.count.toLocaleString('en-US')}  ${d.file}`;
}

function auditLines(audit: AuditResult): string[] {
  const gap = (audit.accuracy.members - audit.accuracy.nonMembers) * 100;
  const summary: [string, string][] = [
    ['Model', audit.model],
    ['Members', datasetLine(audit.members)],
    ['Non-members', datasetLine(audit.nonMembers)],
    ...(audit.population ? [['Population', datasetLine(audit.population)] as [string, string]] : []),
    [
      'Accuracy',
      `members ${percent(audit.accuracy.members, 1)}, non-members ${percent(audit.accuracy.nonMembers, 1)} (gap ${gap.toFixed(1)} points)`,
    ],
    ['Duration', `${(audit.durationMs / 1000).toFixed(1)} s`],
    ...verdictBasisRows(audit),
  ];
  const lines = [`== Audit ${audit.name} ==`, ...alignColumns(summary, ['left', 'left'])];
  if (audit.attacks.length > 0) lines.push('', ...attackTable(audit));
  if (audit.riskPredictors) {
    const r = audit.riskPredictors;
    lines.push('', `Risk predictors (Jensen-Shannon distance, members vs non-members, base 2: 0 alike, 1 disjoint): entropy ${fixed(r.entropyJsDistance)}, cross-entropy ${fixed(r.crossEntropyJsDistance)}`);
  }
  if (audit.ensemble) lines.push('', ...ensembleLines(audit.ensemble));
  if (audit.appliedDefense) lines.push('', `Audited with defense: ${JSON.stringify(audit.appliedDefense)}`);
  if (audit.defenses) lines.push('', ...defenseLines(audit.defenses));
  if (audit.errors.length > 0) {
    lines.push('', 'Failed attacks:', ...audit.errors.map((e) => `  ${e.attack}: ${e.message}`));
  }
  const notes = audit.attacks.flatMap((a) => (a.notes ?? []).map((n) => `  ${a.id}: ${n}`));
  if (notes.length > 0) lines.push('', 'Notes:', ...notes);
  return lines;
}

/** What the verdict rests on, and how the reference models fit beside the target. */
function verdictBasisRows(audit: AuditResult): [string, string][] {
  const basis = verdictBasisText(audit);
  const quality = shadowQualityText(audit);
  return [
    ...(basis ? [['Verdict rests on', basis] as [string, string]] : []),
    ...(quality ? [['Reference models', quality] as [string, string]] : []),
  ];
}

/** Each ensemble model alone against the averaged ensemble, on the attacks all of them ran. */
function ensembleLines(e: EnsembleComparison): string[] {
  const header = ['Model', 'Test acc.', `Worst TPR@${fprLabel(e.frontFpr)} FPR`, 'Best AUC'];
  const row = (name: string, m: { testAccuracy: number; worstTpr: number; bestAuc: number }) => [name, percent(m.testAccuracy, 1), percent(m.worstTpr), fixed(m.bestAuc)];
  const rows = [...e.members.map((m) => row(m.model, m)), row('ensemble (average)', e.ensemble)];
  const verdict = e.raisedLeakage ? 'Averaging raised leakage above every single model.' : 'Averaging did not leak more than the leakiest single model.';
  return [`Ensemble: ${verdict}`, ...alignColumns([header, ...rows], ['left', 'right', 'right', 'right']).map((l) => `  ${l}`)];
}

/** The trade-off table (one row per defense setting) and each attack's numbers per setting. */
export function defenseLines(c: DefenseComparison): string[] {
  const rows = defenseRows(c);
  const header = defenseTableHeader(c.frontFpr);
  const align: Align[] = header.map((_, i) => (i < 2 ? 'left' : 'right'));
  const lines = [
    `Defenses (trade-off read at TPR at ${fprLabel(c.frontFpr)} FPR; cost = test accuracy lost against the undefended model):`,
    ...alignColumns([header, ...rows.map(defenseTableCells)], align).map((l) => `  ${l}`),
  ];
  const recommended = rows.find((r) => r.recommended);
  lines.push(
    recommended
      ? `  Recommended: ${recommended.id} (meets the policy at the least accuracy cost: the front of the settings within the policy).`
      : `  No recommendation: ${c.baseline.meetsPolicy ? 'the undefended model already meets the policy' : 'no evaluated setting meets the policy'}.`,
  );
  const detail = defenseAttackCells(c);
  if (detail.length > 0) {
    const dHeader = defenseAttackHeader();
    lines.push('', 'Attacks against each defense:', ...alignColumns([dHeader, ...detail], dHeader.map((_, i) => (i < 2 ? 'left' : 'right'))).map((l) => `  ${l}`));
  }
  const failures = rows.flatMap((r) => r.errors.map((e) => `  ${r.id}: ${e}`));
  if (failures.length > 0) lines.push('', 'Defense errors:', ...failures);
  const notes = rows.flatMap((r) => r.notes.map((n) => `  ${r.id}: ${n}`));
  if (notes.length > 0) lines.push('', 'Defense notes:', ...notes);
  return lines;
}

function pointCell(p: OperatingPoint): string {
  return `${percent(p.tpr)}${p.measurable ? '' : UNMEASURABLE_MARK} ${intervalLabel(p.tprInterval)}`;
}

function attackTable(audit: AuditResult): string[] {
  const withEpsilon = audit.attacks.some((a) => a.epsilonLowerBound !== undefined);
  const header = [
    'Attack',
    'AUC',
    'Adv.',
    'PPV',
    ...REPORTED_FPRS.map((k) => `TPR@${fprLabel(k)} FPR [95% CI]`),
    ...(withEpsilon ? ['eps >='] : []),
  ];
  const rows = audit.attacks.map((a) => [
    a.id,
    fixed(a.metrics.auc),
    fixed(a.metrics.advantage),
    percent(a.metrics.ppv, 1),
    ...REPORTED_FPRS.map((k) => pointCell(a.metrics.tprAtFpr[k])),
    ...(withEpsilon ? [a.epsilonLowerBound ? fixed(a.epsilonLowerBound.epsilon, 2) : 'n/a'] : []),
  ]);
  const align: Align[] = header.map((_, i) => (i === 0 ? 'left' : 'right'));
  const lines = alignColumns([header, ...rows], align).map((l) => `  ${l}`);
  const unmeasurable = audit.attacks.some((a) => REPORTED_FPRS.some((k) => !a.metrics.tprAtFpr[k].measurable));
  if (unmeasurable) {
    lines.push(
      `  ${UNMEASURABLE_MARK} not measurable: the target FPR is below 1/${audit.nonMembers.count} non-members; the value is the TPR at zero false positives.`,
    );
  }
  return lines;
}

function findingLines(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return ['No findings.'];
  const lines: string[] = ['== Findings =='];
  for (const severity of SEVERITIES_DESC) {
    const group = findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push(`${severityTitle(severity)} (${group.length})`);
    for (const f of group) {
      const scope = [f.audit, f.attack].filter((s) => s !== undefined).join(' / ');
      lines.push(`  ${ruleLabel(f)}  ${findingPlace(f)}${scope ? `  [${scope}]` : ''}`);
      lines.push(`    ${f.message}`);
    }
  }
  return lines;
}

/** Each rule's advice once, however many findings raise it. */
function whatToDoLines(findings: readonly Finding[]): string[] {
  const rules = rulesToAct(findings);
  if (rules.length === 0) return [];
  return ['== What to do ==', ...rules.flatMap((r) => [`  ${RULES[r].id} ${RULES[r].name}`, `    ${RULES[r].help}`])];
}

function severityTitle(s: Severity): string {
  return s.toUpperCase();
}

type Align = 'left' | 'right';

/** Pads every column to its widest cell; two spaces between columns. */
export function alignColumns(rows: readonly (readonly string[])[], align: readonly Align[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
