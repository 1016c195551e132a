/** The findings list: the same findings the Problems panel shows, for the audit on screen. */
import type { Finding } from '../../src/engine/report/schema';
import { el } from './dom';

function location(f: Finding): string {
  const range = f.location.range;
  return range ? `${f.location.file}:${range.start.line + 1}:${range.start.character + 1}` : f.location.file;
}

export function findingsList(findings: readonly Finding[]): HTMLElement {
  if (!findings.length) return el('p', { className: 'note', text: 'No findings for this audit.' });
  return el(
    'ul',
    { className: 'findings' },
    findings.map((f) =>
      el('li', { className: `finding severity-${f.severity}` }, [
        el('span', { className: 'severity', text: f.severity }),
        el('span', { className: 'rule', text: f.rule }),
        el('span', { className: 'message', text: f.message }),
        el('span', { className: 'location', text: f.attack ? `${location(f)} · ${f.attack}` : location(f) }),
      ]),
    ),
  );
}
