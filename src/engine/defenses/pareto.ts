/**
 * The privacy-utility Pareto front: a point is on it when no other point has test accuracy
 * at least as high and attack success at least as low, and is strictly better in one.
 * Points with a non-finite coordinate (a defense that failed) are never on the front and
 * never dominate.
 */

export interface TradeoffPoint {
  /** Higher is better. */
  accuracy: number;
  /** Lower is better (worst TPR at the front FPR). */
  risk: number;
}

function dominates(a: TradeoffPoint, b: TradeoffPoint): boolean {
  return a.accuracy >= b.accuracy && a.risk <= b.risk && (a.accuracy > b.accuracy || a.risk < b.risk);
}

/** One flag per point, in input order: true when the point is Pareto-optimal. Equal points are all optimal. */
export function paretoOptimal(points: readonly TradeoffPoint[]): boolean[] {
  const valid = (p: TradeoffPoint) => Number.isFinite(p.accuracy) && Number.isFinite(p.risk);
  return points.map((p, i) => valid(p) && !points.some((q, j) => j !== i && valid(q) && dominates(q, p)));
}
