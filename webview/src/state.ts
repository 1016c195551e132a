/**
 * The webview's view state: the report plus what the user selected. It is what goes into
 * setState (so a reload or a hidden-then-shown panel restores it) and what the host's
 * serializer receives after a window reload.
 */
import type { ReportMessage, ReportViewState } from '../../src/extension/report/messages';
import { pickAttack, pickAudit } from './selectors';
import { pickTradeoffAttack } from './tradeoff-data';

/**
 * What the webview stores: the host's ReportViewState plus the trade-off chart's attack
 * (absent: the worst attack). The host's guard ignores the extra key, so old and new
 * states both restore.
 */
export interface ViewState extends ReportViewState {
  tradeoffAttack?: string;
}

/**
 * Applies a report from the host. An audit named by the host (the user asked for it)
 * wins; otherwise the previous selection survives when the new report still has it, so a
 * re-sent or refreshed report does not throw away the user's choice.
 */
export function applyReportMessage(previous: ViewState | undefined, message: ReportMessage): ViewState {
  const audit = pickAudit(message.report, message.audit ?? previous?.audit);
  const keepAttack = audit !== undefined && audit.name === previous?.audit;
  const attack = audit ? pickAttack(audit, keepAttack ? previous?.attack : undefined) : undefined;
  const tradeoffAttack = keepAttack ? pickTradeoffAttack(audit.defenses, previous?.tradeoffAttack) : undefined;
  return { report: message.report, audit: audit?.name, attack: attack?.id, ...(tradeoffAttack !== undefined ? { tradeoffAttack } : {}) };
}

export function selectAudit(state: ReportViewState, auditName: string): ReportViewState {
  const audit = pickAudit(state.report, auditName);
  return { report: state.report, audit: audit?.name, attack: audit ? pickAttack(audit, undefined)?.id : undefined };
}

export function selectAttack(state: ViewState, attackId: string): ViewState {
  return { ...state, attack: attackId };
}

/** The trade-off chart's attack; undefined goes back to the worst attack. */
export function selectTradeoffAttack(state: ViewState, attackId: string | undefined): ViewState {
  const { tradeoffAttack: _previous, ...rest } = state;
  return attackId === undefined ? rest : { ...rest, tradeoffAttack: attackId };
}
