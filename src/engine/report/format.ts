/** Number and finding formatting shared by the text and HTML reports, so both say the same thing. */
import type { Interval, ReportedFpr } from '../metrics/types';
import { RULES, SEVERITY_ORDER, type RuleName, type Severity } from '../../shared/rules';
import type { Finding } from './schema';

/** Missing or non-finite numbers (NaN is serialised as null) print as this. */
export const NOT_AVAILABLE = 'n/a';

function isNumber(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** 0.0466 -> "4.66%". Tiny non-zero rates keep two significant digits instead of printing as 0.00%. */
export function percent(x: number | null | undefined, digits = 2): string {
  if (!isNumber(x)) return NOT_AVAILABLE;
  const p = x * 100;
  if (p !== 0 && Math.abs(p) < 10 ** -digits) return `${p.toPrecision(2)}%`;
  return `${p.toFixed(digits)}%`;
}

export function fixed(x: number | null | undefined, digits = 3): string {
  return isNumber(x) ? x.toFixed(digits) : NOT_AVAILABLE;
}

/** "0.001" -> "0.1%": the reported FPR keys as people say them. */
export function fprLabel(key: ReportedFpr | number): string {
  return `${Number((Number(key) * 100).toPrecision(12))}%`;
}

export function intervalLabel(interval: Interval, digits = 2): string {
  return `[${percent(interval.lower, digits)}, ${percent(interval.upper, digits)}]`;
}

/** "file:line:col", 1-based like editors show it; just the file for whole-file findings. */
export function findingPlace(finding: Finding): string {
  const { file, range } = finding.location;
  return range ? `${file}:${range.start.line + 1}:${range.start.character + 1}` : file;
}

export function ruleLabel(finding: Finding): string {
  const rule = RULES[finding.rule];
  return `${rule.id} ${rule.name}`;
}

export const SEVERITIES_DESC: readonly Severity[] = (Object.keys(SEVERITY_ORDER) as Severity[]).sort(
  (a, b) => SEVERITY_ORDER[b] - SEVERITY_ORDER[a],
);

/** Most severe first; equal severities keep the engine's order. */
export function sortBySeverity(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity]);
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/**
 * An attack score: they have no common scale (a negated loss of 1e-5, a log-likelihood
 * ratio of 40), so three significant digits rather than fixed decimals, which printed
 * the near-zero losses of the most exposed records as "-0.000".
 */
export function score(x: number | null | undefined): string {
  if (!isNumber(x)) return NOT_AVAILABLE;
  if (x === 0) return '0';
  const abs = Math.abs(x);
  return abs >= 1e-3 && abs < 1e5 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

/** Each rule the findings raise, once, most severe first: the reports' "what to do" list. */
export function rulesToAct(findings: readonly Finding[]): RuleName[] {
  return [...new Set(sortBySeverity(findings).map((f) => f.rule))];
}
