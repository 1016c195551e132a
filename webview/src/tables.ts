/**
 * The report's tables: TPR at low FPR per attack (with exact intervals, or why a cell
 * cannot be measured), per-class vulnerability, and the most exposed member records.
 */
import type { OperatingPoint } from '../../src/engine/metrics/types';
import type { AttackResult, AuditResult } from '../../src/engine/report/schema';
import { classLabel } from './class-data';
import { el, table, type Child } from './dom';
import { formatCount, formatFraction, formatInterval, formatRate, formatScore, formatTargetFpr, notMeasurableText } from './format';
import { REPORTED_FPR_KEYS } from './reported-fprs';

function operatingPointCell(point: OperatingPoint | undefined, nonMembers: number): Child {
  if (!point) return '—';
  if (!point.measurable) {
    return el('span', {
      className: 'not-measurable',
      text: notMeasurableText(nonMembers),
      title: `An FPR of ${formatRate(point.targetFpr)} needs at least ${formatCount(Math.ceil(1 / point.targetFpr))} non-members.`,
    });
  }
  const interval = point.tprInterval ? ` (${formatInterval(point.tprInterval.lower, point.tprInterval.upper)})` : '';
  return el('span', { title: `${formatCount(point.truePositives)} members identified at FPR ${formatRate(point.fpr)} (${formatCount(point.falsePositives)} false positives)` }, [
    el('span', { className: 'value', text: formatRate(point.tpr) }),
    el('span', { className: 'interval', text: interval }),
  ]);
}

export function operatingPointsTable(audit: AuditResult): HTMLTableElement {
  const withEpsilon = audit.attacks.some((a) => a.epsilonLowerBound);
  const headers = ['Attack', 'AUC', 'Advantage', ...REPORTED_FPR_KEYS.map((k) => `TPR @ ${formatTargetFpr(k)} FPR`), ...(withEpsilon ? ['ε lower bound'] : [])];
  const rows = audit.attacks.map((attack) => {
    const m = attack.metrics;
    const cells: Child[] = [
      el('span', { text: attack.id, title: attack.title }),
      formatFraction(m.auc),
      formatFraction(m.advantage),
      ...REPORTED_FPR_KEYS.map((k) => operatingPointCell(m.tprAtFpr?.[k], m.nonMembers)),
    ];
    if (withEpsilon) {
      const bound = attack.epsilonLowerBound;
      cells.push(bound ? `${formatFraction(bound.epsilon)} (δ = ${bound.delta.toExponential(0)})` : '—');
    }
    return cells;
  });
  return table('True-positive rate at low false-positive rates, with 95% Clopper-Pearson intervals', headers, rows);
}

export function classTable(attack: AttackResult): HTMLTableElement {
  const rows = [...attack.perClass]
    .sort((a, b) => a.label - b.label)
    .map((c) => [classLabel(c.label), formatCount(c.members), formatCount(c.nonMembers), formatFraction(c.auc), formatFraction(c.advantage)]);
  return table(`Vulnerability per class (${attack.id})`, ['Class', 'Members', 'Non-members', 'AUC', 'Advantage'], rows);
}

export function vulnerableRecordsTable(attack: AttackResult): HTMLTableElement {
  const rows = attack.mostVulnerable.map((r, i) => [String(i + 1), formatCount(r.index), formatScore(r.score)]);
  return table(`Most vulnerable member records (${attack.id}), by index in the members file`, ['Rank', 'Record index', 'Score'], rows);
}
