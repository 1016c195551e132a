/**
 * Which report a tree node opens. Every summary carries the key its report is filed
 * under (AuditSummary.reportKey, set by the engine), so the client never works it out.
 * Without a summary there is no report yet; a manifest's or audit's own path then
 * stands in, so "no results yet" can offer to audit it. Pure.
 */
import type { AuditSummary } from '../../shared/protocol';
import type { ReportArgs } from '../codelens/audit-lenses';
import { samePath } from '../paths';
import type { TreeNode } from '../tree/tree-model';

export function reportArgsOf(summary: AuditSummary): ReportArgs {
  return { reportKey: summary.reportKey, audit: summary.audit };
}

export function reportArgsForNode(node: TreeNode, summaries: readonly AuditSummary[]): ReportArgs | undefined {
  switch (node.kind) {
    case 'manifest': {
      const summary = summaries.find((s) => s.manifest !== undefined && samePath(s.manifest, node.path));
      return { reportKey: summary?.reportKey ?? node.path };
    }
    case 'audit':
      return node.summary ? reportArgsOf(node.summary) : { reportKey: node.manifest, audit: node.name };
    case 'model':
      return node.summaries[0] ? reportArgsOf(node.summaries[0]) : undefined;
    case 'finding': {
      const { audit, path } = node.finding;
      if (audit === undefined) return undefined;
      // The audit of the file the finding is on (a manifest or its model), else any audit of that name.
      const named = summaries.filter((s) => s.audit === audit);
      const own = named.find((s) => (s.manifest !== undefined && samePath(s.manifest, path)) || (s.model !== '' && samePath(s.model, path)));
      const summary = own ?? named[0];
      return summary ? reportArgsOf(summary) : undefined;
    }
    case 'group':
      return undefined;
  }
}
