/**
 * Per-class AUC for the bar chart. Classes whose AUC the engine did not compute (too few
 * records on a side, null in the report) get no bar and are named in a note instead of
 * being drawn as 0, which would read as "perfectly private".
 */
import type { ClassVulnerability } from '../../src/engine/report/schema';

export interface ClassBars {
  labels: string[];
  auc: (number | null)[];
  /** Class labels without an AUC. */
  missing: number[];
}

export function classLabel(label: number): string {
  return `class ${label}`;
}

export function classBars(perClass: readonly ClassVulnerability[]): ClassBars {
  const sorted = [...perClass].sort((a, b) => a.label - b.label);
  const usable = (v: number | null): v is number => typeof v === 'number' && Number.isFinite(v);
  return {
    labels: sorted.map((c) => classLabel(c.label)),
    auc: sorted.map((c) => (usable(c.auc) ? c.auc : null)),
    missing: sorted.filter((c) => !usable(c.auc)).map((c) => c.label),
  };
}
