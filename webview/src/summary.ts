/** The one-line summary of an audit: model, group sizes and accuracies, backend, time. */
import type { AuditReport, AuditResult } from '../../src/engine/report/schema';
import { el } from './dom';
import { formatCount, formatRate, formatTimestamp } from './format';

export function summaryLine(report: AuditReport, audit: AuditResult): HTMLElement {
  const parts = [
    ['Model', audit.model],
    ['Members', `${formatCount(audit.members.count)} (accuracy ${formatRate(audit.accuracy.members)})`],
    ['Non-members', `${formatCount(audit.nonMembers.count)} (accuracy ${formatRate(audit.accuracy.nonMembers)})`],
    ['Backend', report.backend],
    ['Created', formatTimestamp(report.createdAt)],
  ];
  return el(
    'dl',
    { className: 'summary' },
    parts.map(([term, value]) => el('div', {}, [el('dt', { text: term }), el('dd', { text: value })])),
  );
}
