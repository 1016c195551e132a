/** `privacy-lint init`: the proposed manifest written to a file, with --label and --force. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, copyDir, tmpDir } from './cli-helpers';
import { parseManifest } from '../../src/engine/manifest';
import { overfitWorkspace } from '../helpers/overfit-workspace';

/** The overfit workspace without its manifest, the label column renamed so only --label finds it. */
async function workspace(labelName = 'label'): Promise<string> {
  const dir = copyDir((await overfitWorkspace()).dir, 'mpl-init-');
  fs.rmSync(path.join(dir, 'privacy-audit.json'));
  for (const f of ['train.csv', 'test.csv', 'population.csv']) {
    const p = path.join(dir, f);
    const text = fs.readFileSync(p, 'utf8');
    fs.writeFileSync(p, text.replace(/,label\n/, `,${labelName}\n`));
  }
  return dir;
}

test('init writes the proposed manifest, which parses and names the detected files', async () => {
  const dir = await workspace();
  const r = cli(['init', dir]);
  assert.equal(r.code, 0, r.stderr);
  const file = path.join(dir, 'privacy-audit.json');
  assert.match(r.stdout, /wrote .*privacy-audit\.json \(1 audit\)/);
  const text = fs.readFileSync(file, 'utf8');
  const parsed = parseManifest(text, file);
  assert.deepEqual(parsed.problems.filter((p) => p.severity === 'error'), []);
  const audit = parsed.manifest!.audits[0]!;
  assert.equal(audit.model, path.join(dir, 'model', 'model.json'));
  assert.equal(audit.members.path, path.join(dir, 'train.csv'));
  assert.equal(audit.nonMembers.path, path.join(dir, 'test.csv'));
  assert.equal(audit.population?.path, path.join(dir, 'population.csv'));
  assert.equal(audit.members.label, 'label', 'the detected label column');
});

test('init --label sets the label column of every table dataset, and the manifest audits', { timeout: 240_000 }, async () => {
  const dir = await workspace('outcome');
  const r = cli(['init', dir, '--label', 'outcome']);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'privacy-audit.json'), 'utf8'));
  for (const role of ['members', 'nonMembers', 'population']) assert.equal(json.audits[0][role].label, 'outcome', role);
  const audit = cli(['audit', dir, '--attacks', 'loss-threshold', '--format', 'json', '--fail-on', 'never']);
  assert.equal(audit.code, 0, audit.stderr);
  assert.equal(JSON.parse(audit.stdout).audits[0].members.count, 150);
});

test('init --label with a column the tables lack fails at once, listing their columns', async () => {
  const dir = await workspace('outcome');
  const r = cli(['init', dir, '--label', 'outcom']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--label: .*train\.csv has no column "outcom"; it has "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "outcome"/);
  assert.ok(!fs.existsSync(path.join(dir, 'privacy-audit.json')), 'nothing written');
  // Case is ignored, as the loaders ignore it.
  assert.equal(cli(['init', dir, '--label', 'OUTCOME']).code, 0);
});

test('init refuses to overwrite a manifest without --force', async () => {
  const dir = await workspace();
  const file = path.join(dir, 'privacy-audit.json');
  fs.writeFileSync(file, '{"version": 1, "audits": []}\n');
  const r = cli(['init', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /privacy-audit\.json already exists; edit it, or pass --force to replace it/);
  assert.equal(fs.readFileSync(file, 'utf8'), '{"version": 1, "audits": []}\n', 'left untouched');
  assert.equal(cli(['init', dir, '--force']).code, 0);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).audits.length, 1, 'replaced with --force');
});

test('init exits 2 when there is nothing to propose, or no such folder', () => {
  const empty = tmpDir();
  fs.writeFileSync(path.join(empty, 'readme.txt'), 'nothing here');
  const r = cli(['init', empty]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nothing to propose: no model .* with member and non-member data beside it was detected/);
  assert.ok(!fs.existsSync(path.join(empty, 'privacy-audit.json')), 'nothing written');
  const missing = cli(['init', path.join(empty, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope: no such folder/);
});
