/** The engine's log lines reach the "Model Privacy" log channel once prefixed, at their own level. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { EngineLogChannel, parseClientLine } from '../../src/extension/engine-log';

function fakeLog() {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
  const log = {
    name: 'Model Privacy',
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    appendLine: at('appendLine'),
    append: at('append'),
  };
  return { lines, log: log as unknown as vscode.LogOutputChannel };
}

test('the client\'s "[Level - time]" prefix is read and stripped', () => {
  assert.deepEqual(parseClientLine('[Info  - 10:41:07 AM] Model Privacy engine 0.1.0 started'), { level: 'info', text: 'Model Privacy engine 0.1.0 started' });
  assert.deepEqual(parseClientLine('[Warn  - 22:01:00] [worker] slow'), { level: 'warn', text: '[worker] slow' });
  assert.deepEqual(parseClientLine('[Error - 9:00:00] failed:\nstack'), { level: 'error', text: 'failed:\nstack' });
  assert.deepEqual(parseClientLine('[Trace - 1:00:00 PM] Sending request'), { level: 'trace', text: 'Sending request' });
  assert.equal(parseClientLine('[worker] no client prefix'), undefined);
  assert.equal(parseClientLine('plain'), undefined);
});

test('each line goes to the level its prefix names, without the prefix; unprefixed lines keep the previous level', () => {
  const { lines, log } = fakeLog();
  const channel = new EngineLogChannel(log);
  channel.appendLine('[Info  - 10:00:00] started');
  channel.appendLine('[Warn  - 10:00:01] The audit worker did not stop within 1000 ms');
  channel.appendLine('[Error - 10:00:02] Sending request modelPrivacy/audit failed.');
  channel.appendLine('  Message: boom');
  channel.append('[Trace - 10:00:03] ');
  channel.appendLine('{"isLSPMessage":true}');
  assert.deepEqual(lines, [
    'info: started',
    'warn: The audit worker did not stop within 1000 ms',
    'error: Sending request modelPrivacy/audit failed.',
    'error:   Message: boom',
    'trace: {"isLSPMessage":true}',
  ]);
  assert.ok(!lines.some((l) => l.startsWith('appendLine') || l.startsWith('append:')), 'never appended raw, which would add a second prefix');
  assert.equal(channel.name, 'Model Privacy');
});
