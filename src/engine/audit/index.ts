export { auditTarget, auditResolved, resolveManifest, type AuditOptions, type ResolvedManifest } from './audit-target';
export { CancelledError, type AuditProgress, type AuditHooks } from './progress';
export { severityOf } from './findings';
export { TOOL_VERSION } from './version';
