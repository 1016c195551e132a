/**
 * The webview's view state: the report plus what the user selected. It is what goes into
 * setState (so a reload or a hidden-then-shown panel restores it) and what the host's
 * serializer receives after a window reload.
 */
import type { ReportMessage, ReportViewState } from '../../src/extension/report/messages';
import { pickAttack, pickAudit } from './selectors';

/**
 * Applies a report from the host. An audit named by the host (the user asked for it)
 * wins; otherwise the previous selection survives when the new report still has it, so a
 * re-sent or refreshed report does not throw away the user's choice.
 */
export function applyReportMessage(previous: ReportViewState | undefined, message: ReportMessage): ReportViewState {
  const audit = pickAudit(message.report, message.audit ?? previous?.audit);
  const keepAttack = audit !== undefined && audit.name === previous?.audit;
  const attack = audit ? pickAttack(audit, keepAttack ? previous?.attack : undefined) : undefined;
  return { report: message.report, audit: audit?.name, attack: attack?.id };
}

export function selectAudit(state: ReportViewState, auditName: string): ReportViewState {
  const audit = pickAudit(state.report, auditName);
  return { report: state.report, audit: audit?.name, attack: audit ? pickAttack(audit, undefined)?.id : undefined };
}

export function selectAttack(state: ReportViewState, attackId: string): ReportViewState {
  return { ...state, attack: attackId };
}
