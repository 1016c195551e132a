/** The report module's public surface: one AuditReport rendered as JSON, SARIF, HTML or text. */
export * from './schema';
export { toJson } from './json';
export {
  toSarif,
  SARIF_LEVEL,
  SARIF_SCHEMA_URI,
  SARIF_VERSION,
  SRCROOT,
  type SarifLevel,
  type SarifLog,
  type SarifResult,
  type SarifRun,
} from './sarif';
export { toHtml } from './html';
export { toText } from './text';
export { rocFigure, ROC_AXIS_FLOOR, type RocSeries } from './svg-roc';
export { escapeHtml } from './safe-html';
export {
  renderReport,
  writeFileAtomic,
  writeReports,
  REPORT_FILE_NAMES,
  REPORT_FORMATS,
  type ReportFormat,
} from './write-reports';
