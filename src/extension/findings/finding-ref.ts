/**
 * Reads our diagnostics back: the rule (diagnostic code) and the audit and attack the
 * server put into `data` (FindingDiagnosticData in src/server/diagnostics.ts). Pure;
 * takes the fields of a vscode.Diagnostic as unknowns, since `data` is untyped there.
 */
import { RULES, type RuleName } from '../../shared/rules';

/** The server's DIAGNOSTIC_SOURCE. */
export const DIAGNOSTIC_SOURCE = 'model-privacy';

export interface FindingRef {
  rule: RuleName;
  audit?: string;
  attack?: string;
  /** defense-recommendation: the recommended configuration as JSON text (for the "add defense" quick fix). */
  config?: string;
}

export interface DiagnosticFields {
  source?: string;
  code?: unknown;
  data?: unknown;
}

export function isRuleName(value: unknown): value is RuleName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RULES, value);
}

/** The diagnostic's code as text: VS Code wraps it in { value, target } when it has a doc link. */
export function codeText(code: unknown): string | undefined {
  if (typeof code === 'string') return code;
  if (typeof code === 'number') return String(code);
  if (typeof code === 'object' && code !== null && 'value' in code) return codeText((code as { value: unknown }).value);
  return undefined;
}

export function findingRef(d: DiagnosticFields): FindingRef | undefined {
  if (d.source !== DIAGNOSTIC_SOURCE) return undefined;
  const data = typeof d.data === 'object' && d.data !== null ? (d.data as Record<string, unknown>) : {};
  const rule = isRuleName(data.rule) ? data.rule : codeText(d.code);
  if (!isRuleName(rule)) return undefined;
  const ref: FindingRef = { rule };
  if (typeof data.audit === 'string') ref.audit = data.audit;
  if (typeof data.attack === 'string') ref.attack = data.attack;
  if (typeof data.config === 'string') ref.config = data.config;
  return ref;
}

/** Rules about an audit's measured result: the report explains them (the trade-off chart, for a defense recommendation). */
export const RESULT_RULES: ReadonlySet<RuleName> = new Set([
  'membership-risk', 'generalization-gap', 'vulnerable-class', 'epsilon-claim', 'ensemble-leakage', 'unmeasurable-fpr', 'membership-imbalance', 'member-overlap',
  'defense-recommendation',
]);
