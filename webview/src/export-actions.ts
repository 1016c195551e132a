/**
 * Export buttons. A webview cannot download or write files, so each button turns the
 * content into a message and the host asks where to save it.
 */
import type { AuditReport, AuditResult } from '../../src/engine/report/schema';
import { button } from './dom';
import { auditCsv, auditJson, exportFileName } from './export';
import { tradeoffCsv } from './export-tradeoff';
import type { ReportHost } from './vscode-api';

export function savePngButton(canvas: HTMLCanvasElement, fileName: string, host: ReportHost): HTMLButtonElement {
  return button('Save PNG', () => host.post({ type: 'savePng', fileName: `${fileName}.png`, dataUrl: canvas.toDataURL('image/png') }), 'Save this chart as a PNG image');
}

export function exportButtons(report: AuditReport, audit: AuditResult, host: ReportHost): HTMLButtonElement[] {
  const buttons = [
    button(
      'Export CSV',
      () => host.post({ type: 'saveText', format: 'csv', fileName: `${exportFileName(audit.name, 'roc')}.csv`, content: auditCsv(audit) }),
      'ROC points and TPR at low FPR of every attack, as a CSV table',
    ),
    button(
      'Export JSON',
      () => host.post({ type: 'saveText', format: 'json', fileName: `${exportFileName(audit.name, 'metrics')}.json`, content: auditJson(report, audit) }),
      'ROC points and metrics of every attack, as JSON',
    ),
  ];
  // Built on click, like the other exports, not on every render.
  if (audit.defenses) {
    buttons.push(
      button(
        'Export defenses CSV',
        () => host.post({ type: 'saveText', format: 'csv', fileName: `${exportFileName(audit.name, 'defenses')}.csv`, content: tradeoffCsv(audit) ?? '' }),
        'Accuracy, Pareto and policy status and every attack\'s TPR at low FPR for each evaluated defense, as a CSV table',
      ),
    );
  }
  return buttons;
}
