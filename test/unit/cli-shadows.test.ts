/** --shadows replaces the number of reference models of every audit in the run; an impossible count is exit 2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from './cli-helpers';
import { overfitWorkspace } from '../helpers/overfit-workspace';

test('--shadows 1 (or a non-integer) is exit 2 before anything loads', () => {
  for (const bad of ['1', '2.5', 'many']) {
    const r = cli(['audit', 'examples/fashion-mnist', '--shadows', bad]);
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--shadows/);
    assert.equal(r.stdout, '');
  }
});

test('--shadows N trains N reference models for the reference-model attacks, and the report says so', { timeout: 240_000 }, async () => {
  const ws = await overfitWorkspace();
  const cacheDir = fs.mkdtempSync(path.join(ws.dir, 'shadows-cli-'));
  const r = cli(['audit', ws.manifest, '--attacks', 'loss-threshold,rmia', '--shadows', '4', '--cache-dir', cacheDir, '--format', 'json', '--fail-on', 'never']);
  assert.equal(r.code, 0, r.stderr);
  const audit = JSON.parse(r.stdout).audits[0];
  assert.deepEqual(audit.errors, []);
  assert.equal(audit.basis.referenceModels, 4);
  assert.equal(audit.shadowQuality.shadows, 4);
});
