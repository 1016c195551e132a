import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const hardening = path.resolve(__dirname, '../../src/server/hardening.ts');

/** Runs a script with the guards installed in a fresh Node process (they patch process-wide state). */
function runGuarded(body: string) {
  const script = `
    const { installProcessGuards } = require(${JSON.stringify(hardening)});
    let allowed = false;
    const lines = [];
    installProcessGuards({ log: () => ({ info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) }), exitAllowed: () => allowed });
    const report = () => process.stdout.write(JSON.stringify(lines) + '\\n');
    ${body}
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 30_000 });
}

test('a library calling process.exit is refused and logged with its caller; a lifecycle exit goes through', () => {
  const r = runGuarded(`
    function someLibrary() { process.exit(3); }
    someLibrary();
    report();
    allowed = true;
    process.exit(7);
    process.stdout.write('not reached\\n');
  `);
  assert.equal(r.status, 7, r.stderr);
  const lines = JSON.parse(r.stdout.split('\n')[0]!) as string[];
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /Refused process\.exit\(3\)/);
  assert.match(lines[0]!, /someLibrary/);
  assert.ok(!r.stdout.includes('not reached'));
});

test('uncaught exceptions and unhandled rejections are logged and the process lives on', () => {
  const r = runGuarded(`
    setTimeout(() => { throw new Error('boom in a timer'); }, 0);
    Promise.reject(new Error('rejected promise'));
    setTimeout(() => { report(); }, 50);
  `);
  assert.equal(r.status, 0, r.stderr);
  const lines = JSON.parse(r.stdout.trim()) as string[];
  assert.ok(lines.some((l) => /Uncaught exception.*\n.*boom in a timer/s.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /Unhandled promise rejection.*\n.*rejected promise/s.test(l)), lines.join('\n'));
});
