/**
 * modelPrivacy.sweep: audits every manifest and every detected TF.js model that no
 * manifest covers, in one request (the engine runs them in order and answers unchanged
 * audits from its cache). Resolves to the outcomes, or undefined when nothing ran.
 */
import * as vscode from 'vscode';
import { SweepRequest, type AuditOutcome } from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { sweepTargets } from '../detection/detected';
import { explainRestricted, isTrusted } from '../trust';
import { CANCELLED } from './audit-runs';
import { showOutcome, showRequestError } from './show-outcome';

const WHAT = 'Sweeping the workspace';

export async function sweepCommand(ctx: Ctx): Promise<AuditOutcome[] | undefined> {
  if (!isTrusted()) {
    explainRestricted(WHAT);
    return undefined;
  }
  const snapshot = await ctx.detector.ready();
  const targets = sweepTargets(snapshot);
  if (targets.length === 0) {
    void vscode.window.showInformationMessage('Nothing to sweep: no audit manifest and no TensorFlow.js model was found in this workspace.');
    return undefined;
  }
  const client = await ctx.requireClient(WHAT);
  if (!client) return undefined;
  try {
    const outcomes = await ctx.runs.run(client, SweepRequest, { targets }, `Model privacy sweep (${targets.length} target${targets.length === 1 ? '' : 's'})`);
    if (outcomes === CANCELLED) return undefined;
    showOutcome(ctx, outcomes);
    return outcomes;
  } catch (e) {
    showRequestError(ctx, WHAT, e);
    return undefined;
  }
}
