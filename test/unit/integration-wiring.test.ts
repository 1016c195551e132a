import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

// The suite must stay runnable under @vscode/test-electron on machines that can download
// VS Code: its runner resolves, and the same test files bundle for it.
test('the integration suite is wired for @vscode/test-electron', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'test/integration/run-electron.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wiring ok: runTests found/);
});
