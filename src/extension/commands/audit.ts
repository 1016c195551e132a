/**
 * modelPrivacy.audit: audits a manifest (all or one of its audits), a model or a folder.
 * Resolves to the engine's AuditOutcome (AuditOutcome[] for a multi-selection), or
 * undefined when nothing ran; tests and other extensions can use the result.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AuditRequest, SweepRequest, type AuditOutcome, type AuditParams } from '../../shared/protocol';
import { COMMANDS } from '../command-ids';
import type { Ctx } from '../ctx';
import { explainRestricted, isTrusted } from '../trust';
import { CANCELLED } from './audit-runs';
import { showOutcome, showRequestError } from './show-outcome';
import { activeEditorTarget, pickTarget, targetsFromArgs } from './targets';
import { unsupportedReason } from './unsupported-target';

const WHAT = 'Auditing membership risk';

export async function auditCommand(ctx: Ctx, ...args: unknown[]): Promise<AuditOutcome | AuditOutcome[] | undefined> {
  // Before any quick pick: in Restricted Mode the answer is the same whatever was picked.
  if (!isTrusted()) {
    explainRestricted(WHAT);
    return undefined;
  }
  const snapshot = await ctx.detector.ready();
  const targets = targetsFromArgs(args) ?? [activeEditorTarget(snapshot) ?? (await pickTarget(snapshot, 'Audit membership risk'))].filter((t) => t !== undefined);
  if (targets.length === 0) {
    if (args.length === 0 && snapshot.manifests.length + snapshot.models.length === 0) noTargets();
    return undefined;
  }
  const unsupported = targets.map((t) => unsupportedReason(t.target)).find((r) => r !== undefined);
  if (unsupported) {
    void vscode.window.showWarningMessage(unsupported);
    return undefined;
  }
  const client = await ctx.requireClient(WHAT);
  if (!client) return undefined;

  try {
    if (targets.length > 1) {
      const outcomes = await ctx.runs.run(client, SweepRequest, { targets: targets.map((t) => t.target) }, `Auditing ${targets.length} targets`);
      if (outcomes === CANCELLED) return undefined;
      showOutcome(ctx, outcomes);
      return outcomes;
    }
    const [{ target, audit }] = targets as [(typeof targets)[number]];
    const params: AuditParams = audit !== undefined ? { target, audits: [audit] } : { target };
    const outcome = await ctx.runs.run(client, AuditRequest, params, `Auditing ${audit ?? path.basename(target)}`);
    if (outcome === CANCELLED) return undefined;
    showOutcome(ctx, [outcome]);
    return outcome;
  } catch (e) {
    showRequestError(ctx, WHAT, e);
    return undefined;
  }
}

function noTargets(): void {
  const create = 'Create audit manifest';
  void vscode.window
    .showInformationMessage('No audit manifest (privacy-audit.json) or TensorFlow.js model (model.json) was found in this workspace.', create)
    .then((choice) => {
      if (choice === create) void vscode.commands.executeCommand(COMMANDS.createManifest);
    });
}
