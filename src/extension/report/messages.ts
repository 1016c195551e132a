/**
 * The typed protocol between the report panel (extension host) and its webview. Both
 * sides import this one file, so it must stay free of `vscode` and DOM: plain types and
 * guards. Everything that arrives over postMessage is checked with these guards, because
 * a message is only JSON and a restored state may come from an older version.
 */
import type { AuditReport } from '../../engine/report/schema';

/** Host -> webview: the report to show, and optionally which audit to focus. */
export interface ReportMessage {
  type: 'report';
  report: AuditReport;
  /** Set only when the user asked for this audit; otherwise the webview keeps its selection. */
  audit?: string;
}

export type HostToWebviewMessage = ReportMessage;

/** Webview -> host: the script has loaded and listens; send the data now. */
export interface ReadyMessage {
  type: 'ready';
}

/** Webview -> host: a chart as `data:image/png;base64,...` from canvas.toDataURL. */
export interface SavePngMessage {
  type: 'savePng';
  /** Suggested file name only; the user picks the folder and may rename. */
  fileName: string;
  dataUrl: string;
}

export type TextExportFormat = 'csv' | 'json';

/** Webview -> host: a text export (CSV or JSON) of the selected audit. */
export interface SaveTextMessage {
  type: 'saveText';
  format: TextExportFormat;
  fileName: string;
  content: string;
}

export type WebviewToHostMessage = ReadyMessage | SavePngMessage | SaveTextMessage;

/** What the webview stores with setState, and what the serializer hands back on restore. */
export interface ReportViewState {
  report: AuditReport;
  /** Selected audit name. */
  audit?: string;
  /** Selected attack id for the per-attack charts. */
  attack?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A shallow shape check, enough to render without throwing: the report comes from our own
 * engine, so this guards against stale or foreign state rather than validating every field.
 */
export function isAuditReport(value: unknown): value is AuditReport {
  if (!isRecord(value) || typeof value.schemaVersion !== 'string' || !Array.isArray(value.audits) || !Array.isArray(value.findings)) {
    return false;
  }
  return value.audits.every(
    (a) => isRecord(a) && typeof a.name === 'string' && Array.isArray(a.attacks) && a.attacks.every((k) => isRecord(k) && typeof k.id === 'string' && isRecord(k.metrics)),
  );
}

export function isReportViewState(value: unknown): value is ReportViewState {
  return (
    isRecord(value) &&
    isAuditReport(value.report) &&
    (value.audit === undefined || typeof value.audit === 'string') &&
    (value.attack === undefined || typeof value.attack === 'string')
  );
}

export function isHostToWebviewMessage(value: unknown): value is HostToWebviewMessage {
  return isRecord(value) && value.type === 'report' && isAuditReport(value.report) && (value.audit === undefined || typeof value.audit === 'string');
}

export function isWebviewToHostMessage(value: unknown): value is WebviewToHostMessage {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
      return true;
    case 'savePng':
      return typeof value.fileName === 'string' && typeof value.dataUrl === 'string';
    case 'saveText':
      return (value.format === 'csv' || value.format === 'json') && typeof value.fileName === 'string' && typeof value.content === 'string';
    default:
      return false;
  }
}
