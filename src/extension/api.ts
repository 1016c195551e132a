/**
 * What activate() returns: a read-only view of the extension's state, used by the
 * integration tests (and open to other extensions) instead of reaching into internals.
 */
import type * as vscode from 'vscode';
import type { AuditReport } from '../engine/report/schema';
import type { AuditSummary, EngineStatus } from '../shared/protocol';
import { ReportPanel } from './report/report-panel';
import type { RunProgress } from './commands/audit-runs';
import type { Ctx } from './ctx';
import type { DetectionSnapshot } from './detection/detected';
import type { EngineLifecycle } from './status-text';
import type { FindingsTreeProvider } from './tree/tree-provider';
import type { TreeNode } from './tree/tree-model';
import { lastRestrictedNotice, type RestrictedNotice } from './trust';

export interface ModelPrivacyApi {
  engineLifecycle(): EngineLifecycle;
  /** Resolves once the engine is running or has stopped trying to start. */
  engineSettled(timeoutMs?: number): Promise<EngineLifecycle>;
  engineStatus(): EngineStatus | undefined;
  /** The engine's last progress report for a request this extension is running. */
  progress(): RunProgress | undefined;
  /** Resolves with the first full detection, then with the current one. */
  detection(): Promise<DetectionSnapshot>;
  summaries(): readonly AuditSummary[];
  treeRoots(): TreeNode[];
  /** The last command refused in Restricted Mode and the reason the user was shown. */
  lastRestrictedNotice(): RestrictedNotice | undefined;
  /** The folder VS Code keeps this extension's logs in (the "Model Privacy" channel's file among them). */
  logFolder(): vscode.Uri;
  /** The report the open report panel shows, updated in place as results arrive; undefined without a panel. */
  shownReport(): AuditReport | undefined;
}

export function createApi(ctx: Ctx, tree: FindingsTreeProvider): ModelPrivacyApi {
  return {
    engineLifecycle: () => ctx.lifecycle,
    engineSettled: async (timeoutMs = 60_000) => {
      await ctx.settled(timeoutMs);
      return ctx.lifecycle;
    },
    engineStatus: () => ctx.status.engine,
    progress: () => ctx.runs.progress,
    detection: () => ctx.detector.ready(),
    summaries: () => ctx.results.all(),
    treeRoots: () => tree.rootNodes(),
    lastRestrictedNotice,
    logFolder: () => ctx.extension.logUri,
    shownReport: () => ReportPanel.shownReport,
  };
}
