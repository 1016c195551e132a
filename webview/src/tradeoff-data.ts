/**
 * The privacy-utility trade-off of an audit's defenses, shaped for the chart and table:
 * test accuracy (higher is better) against an attack's TPR at the front FPR (lower is
 * better), one point per evaluated defense and the undefended baseline. By default the
 * y value is the worst attack's TPR and the Pareto front is the engine's (the one the
 * recommendation comes from); for a single chosen attack the front is recomputed here.
 * DOM-free, so unit tests run it in Node.
 */
import type { ReportedFpr } from '../../src/engine/metrics/types';
import type { AuditReport, AuditResult, DefenseComparison, DefenseEvaluation } from '../../src/engine/report/schema';
import { formatFraction, formatInterval, formatRate, formatTargetFpr } from './format';
import { LOG_AXIS_FLOOR, clampToFloor, type ChartPoint } from './roc-data';

export interface TradeoffPoint extends ChartPoint {
  /** Evaluation id ("none" for the baseline). */
  id: string;
  defense: string;
  kind: DefenseEvaluation['kind'];
  /** The TPR as measured, before clamping to the log axis. */
  tpr: number;
  /** The attack the TPR belongs to (the worst one, unless one was chosen). */
  attack: string;
  interval?: { lower: number; upper: number };
  paretoOptimal: boolean;
  recommended: boolean;
  baseline: boolean;
  meetsPolicy: boolean;
  /** The configuration as compact JSON, for the tooltip. */
  config: string;
}

/** Every attack any evaluation reports, the baseline's order first. */
export function tradeoffAttacks(comparison: DefenseComparison): string[] {
  const ids: string[] = [];
  for (const e of [comparison.baseline, ...comparison.evaluations]) {
    for (const a of e.attacks) if (!ids.includes(a.attack)) ids.push(a.attack);
  }
  return ids;
}

/** A stored attack choice if the comparison still has that attack (a restored state may be stale), else undefined: the worst attack. */
export function pickTradeoffAttack(comparison: DefenseComparison | undefined, attack: unknown): string | undefined {
  return comparison && typeof attack === 'string' && tradeoffAttacks(comparison).includes(attack) ? attack : undefined;
}

/**
 * Pareto flags for (x up, y down): a point is on the front unless another point is at
 * least as good on both axes and strictly better on one. Equal points are both on it.
 */
export function paretoFlags(points: readonly ChartPoint[]): boolean[] {
  return points.map((p) => !points.some((q) => q.x >= p.x && q.y <= p.y && (q.x > p.x || q.y < p.y)));
}

/**
 * The front as a staircase through its points, by accuracy: between two front points
 * the best TPR reachable at an accuracy just above the first is the second's, so the line
 * rises at the first point's accuracy and then runs level.
 */
export function paretoStep(points: readonly ChartPoint[]): ChartPoint[] {
  const front = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  const step: ChartPoint[] = [];
  for (const p of front) {
    const last = step[step.length - 1];
    if (last && last.x === p.x && last.y === p.y) continue;
    if (last && p.y !== last.y) step.push({ x: last.x, y: p.y });
    if (!last || p.x !== last.x) step.push({ x: p.x, y: p.y });
  }
  return step;
}

function worstOutcome(e: DefenseEvaluation, fpr: ReportedFpr): DefenseEvaluation['attacks'][number] | undefined {
  let worst: DefenseEvaluation['attacks'][number] | undefined;
  for (const a of e.attacks) if (!worst || a.tprAtFpr[fpr].tpr > worst.tprAtFpr[fpr].tpr) worst = a;
  return worst;
}

/**
 * One point per evaluation (baseline first). `attack` undefined: the worst attack, with
 * the engine's Pareto flags. An evaluation without a result for the attack (it failed
 * there) has no point.
 */
export function tradeoffPoints(comparison: DefenseComparison, attack?: string, floor: number = LOG_AXIS_FLOOR): TradeoffPoint[] {
  const fpr = comparison.frontFpr;
  const recommended = comparison.recommendation?.id;
  const points: TradeoffPoint[] = [];
  for (const e of [comparison.baseline, ...comparison.evaluations]) {
    const outcome = attack === undefined ? worstOutcome(e, fpr) : e.attacks.find((a) => a.attack === attack);
    // No attack result (every attack failed against this defense): nothing to place.
    if (!outcome) continue;
    const tpr = attack === undefined ? e.worstTpr : outcome.tprAtFpr[fpr].tpr;
    const interval = outcome.tprAtFpr[fpr].tprInterval;
    points.push({
      x: e.testAccuracy,
      y: clampToFloor(tpr, floor),
      id: e.id,
      defense: e.defense,
      kind: e.kind,
      tpr,
      attack: outcome.attack,
      ...(interval ? { interval: { lower: interval.lower, upper: interval.upper } } : {}),
      paretoOptimal: e.paretoOptimal,
      recommended: e.id === recommended,
      baseline: e === comparison.baseline,
      meetsPolicy: e.meetsPolicy,
      config: JSON.stringify(e.config),
    });
  }
  if (attack !== undefined) {
    // The engine's flags are for the worst attack; for one attack the front is this one's.
    const flags = paretoFlags(points.map((p) => ({ x: p.x, y: p.tpr })));
    points.forEach((p, i) => (p.paretoOptimal = flags[i]!));
  }
  return points;
}

/**
 * The accuracy axis: the points' range padded by a tenth of it (at least one point of
 * accuracy), on whole percents, within [0, 1]. Accuracy differences between defenses are
 * often a few points, which a 0..100% axis would flatten.
 */
export function accuracyAxis(points: readonly ChartPoint[]): { min: number; max: number } {
  if (!points.length) return { min: 0, max: 1 };
  const xs = points.map((p) => p.x);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const pad = Math.max(0.01, (hi - lo) * 0.1);
  // toFixed first: 0.84 * 100 is 84.00000000000001, which must not round up a whole percent.
  const percent = (v: number) => Number((v * 100).toFixed(9));
  return { min: Math.max(0, Math.floor(percent(lo - pad)) / 100), max: Math.min(1, Math.ceil(percent(hi + pad)) / 100) };
}

export interface PolicyLine {
  value: number;
  label: string;
}

/**
 * The TPR the policy allows at the front FPR: the comparison's policyMaxTpr, or the
 * recommendation finding's data (policyMax) in reports written before it existed. A
 * guessed limit (the default policy's, say) could contradict the manifest's own, so
 * without either no line is drawn; the table's "meets policy" is the engine's verdict.
 */
export function policyLine(report: AuditReport, audit: AuditResult): PolicyLine | undefined {
  if (!audit.defenses) return undefined;
  const fromComparison = audit.defenses.policyMaxTpr;
  if (typeof fromComparison === 'number' && Number.isFinite(fromComparison) && fromComparison > 0) {
    return { value: fromComparison, label: `policy: TPR ≤ ${formatRate(fromComparison)}` };
  }
  const finding = report.findings.find((f) => f.rule === 'defense-recommendation' && f.audit === audit.name && typeof f.data?.policyMax === 'number');
  const max = finding?.data?.policyMax;
  if (typeof max !== 'number' || !Number.isFinite(max) || max <= 0) return undefined;
  return { value: max, label: `policy: TPR ≤ ${formatRate(max)}` };
}

/** Tooltip lines of a point: what it is, its numbers, and the configuration a fix would paste. */
export function tradeoffTooltip(p: TradeoffPoint, frontFpr: ReportedFpr): string[] {
  const marks = [p.baseline ? 'no defense' : p.kind, p.paretoOptimal ? 'Pareto-optimal' : '', p.recommended ? 'recommended' : '', p.meetsPolicy ? 'meets policy' : 'violates policy'].filter(Boolean);
  const tpr = `${p.attack}: TPR ${formatRate(p.tpr)} at ${formatTargetFpr(frontFpr)} FPR${p.interval ? ` (95% CI ${formatInterval(p.interval.lower, p.interval.upper)})` : ''}`;
  return [`${p.id} (${marks.join(', ')})`, `test accuracy ${formatRate(p.x)}`, tpr, ...(p.baseline ? [] : [`config ${p.config}`])];
}

/** One table row per evaluation and attack; the evaluation's own cells only on its first row. */
export interface TradeoffRow {
  first: boolean;
  recommended: boolean;
  cells: { defense: string; kind: string; testAccuracy: string; trainAccuracy: string; dpEpsilon: string; pareto: string; meetsPolicy: string; attack: string; auc: string; tpr1: string; tpr01: string };
}

function tprCell(point: { tpr: number; measurable: boolean; tprInterval?: { lower: number; upper: number } } | undefined): string {
  if (!point) return '—';
  if (!point.measurable) return 'not measurable';
  return point.tprInterval ? `${formatRate(point.tpr)} (${formatInterval(point.tprInterval.lower, point.tprInterval.upper)})` : formatRate(point.tpr);
}

export function tradeoffRows(comparison: DefenseComparison): TradeoffRow[] {
  const rows: TradeoffRow[] = [];
  for (const e of [comparison.baseline, ...comparison.evaluations]) {
    const recommended = e.id === comparison.recommendation?.id;
    const own = {
      defense: e.id,
      kind: e.kind === 'none' ? 'baseline' : e.kind,
      testAccuracy: formatRate(e.testAccuracy),
      trainAccuracy: formatRate(e.trainAccuracy),
      dpEpsilon: e.dp ? `${formatFraction(e.dp.epsilon)} (δ = ${e.dp.delta.toExponential(0)})` : '—',
      // The recommendation is on the front of the settings within the policy, not always on this one.
      pareto: `${e.paretoOptimal ? 'yes' : 'no'}${recommended ? ', recommended' : ''}`,
      meetsPolicy: e.meetsPolicy ? 'yes' : 'no',
    };
    const blank = { defense: '', kind: '', testAccuracy: '', trainAccuracy: '', dpEpsilon: '', pareto: '', meetsPolicy: '' };
    const outcomes = e.attacks.length ? e.attacks : [undefined];
    outcomes.forEach((a, i) => {
      rows.push({
        first: i === 0,
        recommended,
        cells: {
          ...(i === 0 ? own : blank),
          attack: a ? a.attack : e.errors.length ? `failed: ${e.errors.map((x) => x.attack).join(', ')}` : '—',
          auc: a ? formatFraction(a.auc) : '—',
          tpr1: tprCell(a?.tprAtFpr['0.01']),
          tpr01: tprCell(a?.tprAtFpr['0.001']),
        },
      });
    });
  }
  return rows;
}

export const TRADEOFF_TABLE_HEADERS = ['Defense', 'Kind', 'Test accuracy', 'Train accuracy', 'DP ε (accounted)', 'Pareto-optimal', 'Meets policy', 'Attack', 'AUC', 'TPR @ 1% FPR', 'TPR @ 0.1% FPR'] as const;
