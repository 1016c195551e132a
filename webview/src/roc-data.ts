/**
 * ROC curves prepared for log-log axes. A log axis cannot show 0 and every ROC starts at
 * (0, 0), so rates below the floor are drawn at the floor (the chart says so). Clamping
 * makes runs of identical points; those are dropped, which changes nothing visible.
 */
import type { AttackResult } from '../../src/engine/report/schema';
import { formatFraction } from './format';

/** Lower end of both axes: 0.01%, the smallest FPR the report tabulates. */
export const LOG_AXIS_FLOOR = 1e-4;

export interface ChartPoint {
  x: number;
  y: number;
}

export interface RocSeries {
  attackId: string;
  label: string;
  points: ChartPoint[];
}

/** Null or NaN (a JSON round trip of a missing value) counts as 0. */
export function clampToFloor(rate: number | null, floor: number = LOG_AXIS_FLOOR): number {
  if (rate === null || Number.isNaN(rate) || rate < floor) return floor;
  return Math.min(rate, 1);
}

function pushDistinct(points: ChartPoint[], p: ChartPoint): void {
  const last = points[points.length - 1];
  if (!last || last.x !== p.x || last.y !== p.y) points.push(p);
}

export function rocSeries(attack: AttackResult, floor: number = LOG_AXIS_FLOOR): RocSeries {
  const points: ChartPoint[] = [];
  for (const [fpr, tpr] of attack.metrics.roc) pushDistinct(points, { x: clampToFloor(fpr, floor), y: clampToFloor(tpr, floor) });
  return { attackId: attack.id, label: `${attack.id} (AUC ${formatFraction(attack.metrics.auc)})`, points };
}

/**
 * Where an attack's own (population-calibrated) thresholds landed on the real data,
 * sorted by FPR: the chart reads points unparsed and assumes x order.
 */
export function calibratedPoints(attack: AttackResult, floor: number = LOG_AXIS_FLOOR): ChartPoint[] {
  return (attack.calibratedPoints ?? [])
    .map((p) => ({ x: clampToFloor(p.fpr, floor), y: clampToFloor(p.tpr, floor) }))
    .sort((a, b) => a.x - b.x || a.y - b.y);
}

/** TPR = FPR is a straight line on log-log axes too, so its two ends are enough. */
export function chanceLine(floor: number = LOG_AXIS_FLOOR): ChartPoint[] {
  return [
    { x: floor, y: floor },
    { x: 1, y: 1 },
  ];
}

export function totalPoints(series: readonly RocSeries[]): number {
  return series.reduce((n, s) => n + s.points.length, 0);
}

/**
 * The smallest FPR the audit's non-members can measure (about 1/n); attacks normally
 * share the non-members, so the largest value is the honest one for the whole chart.
 */
export function measurableFloor(attacks: readonly AttackResult[]): number | undefined {
  const values = attacks.map((a) => a.metrics.minMeasurableFpr).filter((v) => typeof v === 'number' && Number.isFinite(v) && v > 0);
  return values.length ? Math.max(...values) : undefined;
}
