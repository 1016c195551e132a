export { auditTarget, auditResolved, resolveManifest, type AuditOptions, type ResolvedManifest } from './audit-target';
export { CancelledError, type AuditProgress, type AuditHooks } from './progress';
export { severityOf } from './findings';
export { TOOL_VERSION } from './version';
export {
  sweepWorkspace,
  findSweepManifests,
  forEachBounded,
  SWEEP_EXCLUDED_FOLDERS,
  DEFAULT_MAX_MANIFESTS,
  type SweepOptions,
  type SweepResult,
  type SweepEntry,
  type SweepStatus,
  type SweepAuditSummary,
  type SweepAuditFunction,
} from './sweep';
