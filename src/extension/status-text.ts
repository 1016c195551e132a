/**
 * What the status item shows for each engine state. Pure: the item itself (status.ts)
 * only copies these fields onto a StatusBarItem.
 */
import type { AuditSummary, EngineStatus } from '../shared/protocol';
import { SEVERITY_ORDER } from '../shared/rules';
import { COMMANDS, MANAGE_TRUST_COMMAND } from './command-ids';
import { outcomeLine, PRELIMINARY, severityLabel } from './results/summary-format';

/** The client's view of the engine process (EngineStatus is the server's view, once running). */
export type EngineLifecycle = 'stopped' | 'restricted' | 'starting' | 'running' | 'crashed';

export interface StatusInput {
  lifecycle: EngineLifecycle;
  /** Last StatusNotification, while running. */
  engine?: EngineStatus;
  /** Why the engine stopped or failed to start, when it did. */
  error?: string;
}

export interface StatusView {
  text: string;
  /** Markdown; command links are limited to the ids in TOOLTIP_COMMANDS. */
  tooltip: string;
  background?: 'warning' | 'error';
}

/** The only commands the tooltip's links may run (the MarkdownString trusts just these). */
export const TOOLTIP_COMMANDS: readonly string[] = [COMMANDS.showLog, COMMANDS.restartEngine, COMMANDS.cancel, COMMANDS.openReport, MANAGE_TRUST_COMMAND];

const link = (title: string, command: string) => `[${title}](command:${command})`;
const SHOW_LOG = link('Show log', COMMANDS.showLog);
const RESTART = link('Restart engine', COMMANDS.restartEngine);

export function statusView(input: StatusInput): StatusView {
  switch (input.lifecycle) {
    case 'restricted':
      return {
        text: '$(workspace-untrusted) Model Privacy',
        tooltip: `**Restricted Mode**: models are detected but never loaded or audited; model files are still scanned, bytes only, for unsafe serialized code.\n\n${link('Manage Workspace Trust', MANAGE_TRUST_COMMAND)}`,
      };
    case 'stopped':
      return { text: '$(circle-slash) Model Privacy', tooltip: `The audit engine is stopped.\n\n${RESTART} · ${SHOW_LOG}` };
    case 'crashed':
      return {
        text: '$(error) Model Privacy',
        tooltip: `**The audit engine stopped**${input.error ? `: ${escapeMarkdown(input.error)}` : '.'}\n\n${RESTART} · ${SHOW_LOG}`,
        background: 'error',
      };
    case 'starting':
      return { text: '$(sync~spin) Model Privacy', tooltip: `Starting the audit engine…\n\n${SHOW_LOG}` };
    case 'running':
      return runningView(input.engine);
  }
}

function runningView(engine: EngineStatus | undefined): StatusView {
  const backend = engine?.backend ? `\n\nBackend: ${escapeMarkdown(engine.backend)}` : '';
  if (!engine || engine.state === 'starting') {
    return { text: '$(sync~spin) Model Privacy', tooltip: `Starting the audit engine…\n\n${SHOW_LOG}` };
  }
  if (engine.state === 'auditing') {
    const names = engine.running.length ? engine.running.map(escapeMarkdown).join(', ') : 'an audit';
    // A preliminary verdict is news while the shadow-model attacks train: show the worst one.
    const preliminary = engine.preliminary ?? [];
    const worst = preliminary.reduce<AuditSummary | undefined>((w, s) => (w === undefined || rank(s) > rank(w) ? s : w), undefined);
    const verdict = worst ? ` · ${PRELIMINARY}: ${severityLabel(worst.severity)}` : '';
    const lines = preliminary.map((s) => `\n\n${capitalize(PRELIMINARY)} (threshold attacks only; shadow-model attacks still running): ${escapeMarkdown(outcomeLine(s))}`).join('');
    return {
      text: `$(sync~spin) Auditing ${engine.running.length === 1 ? engine.running[0] : 'models'}${verdict}`,
      tooltip: `Auditing ${names}…${lines}${backend}\n\n${link('Cancel', COMMANDS.cancel)} · ${SHOW_LOG}`,
    };
  }
  if (engine.state === 'error') {
    return {
      text: '$(error) Model Privacy',
      tooltip: `**The last audit failed**${engine.message ? `: ${escapeMarkdown(engine.message)}` : '.'}${backend}\n\n${SHOW_LOG} · ${RESTART}`,
      background: 'warning',
    };
  }
  const last = engine.lastSummary;
  if (!last) return { text: '$(shield) Model Privacy', tooltip: `The audit engine is ready; no audit has run yet.${backend}\n\n${SHOW_LOG} · ${RESTART}` };
  return {
    text: `$(shield) ${capitalize(severityLabel(last.severity))}${last.preliminary ? ` (${PRELIMINARY})` : ''}`,
    tooltip: `Last audit: ${escapeMarkdown(outcomeLine(last))}${backend}\n\n${link('Open report', COMMANDS.openReport)} · ${SHOW_LOG} · ${RESTART}`,
  };
}

function rank(summary: AuditSummary): number {
  return summary.severity === undefined ? -1 : SEVERITY_ORDER[summary.severity];
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Text from the engine or the workspace must not become links or formatting in a trusted tooltip. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}
