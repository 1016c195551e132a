/**
 * modelPrivacy.allowOutsideWorkspace: machine-scoped (a workspace cannot set it), off by
 * default, only an explicit true turns it on, and it reaches the manifest checks the server runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readEngineSettings, settingsChangeEffect } from '../../src/extension/engine-settings';
import { readSettings } from '../../src/server/init-options';
import { manifestWorkspaceRoot, resolveTarget } from '../../src/server/target-resolution';
import { parseManifest } from '../../src/engine/manifest';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { scope?: string; default?: unknown; type?: string }> } | { properties: Record<string, { scope?: string; default?: unknown; type?: string }> }[] };
};

test('the setting is a machine-scoped boolean, off by default', () => {
  const configs = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
  const setting = configs.map((c) => c.properties['modelPrivacy.allowOutsideWorkspace']).find(Boolean);
  assert.deepEqual({ type: setting?.type, scope: setting?.scope, default: setting?.default }, { type: 'boolean', scope: 'machine', default: false });
});

test('only an explicit true reaches the engine, and a change applies without a restart', () => {
  assert.equal(readEngineSettings((k) => (k === 'allowOutsideWorkspace' ? true : undefined)).allowOutsideWorkspace, true);
  for (const value of ['true', 1, undefined, false]) assert.equal(readEngineSettings((k) => (k === 'allowOutsideWorkspace' ? value : undefined)).allowOutsideWorkspace, undefined);
  assert.equal(readSettings({ allowOutsideWorkspace: true }, []).allowOutsideWorkspace, true);
  assert.equal(readSettings({ allowOutsideWorkspace: 'yes' }, []).allowOutsideWorkspace, undefined);
  assert.deepEqual(settingsChangeEffect((s) => s === 'modelPrivacy.allowOutsideWorkspace'), { send: true, restart: false });
});

test('the server resolves a manifest with an outside path as an error unless the setting allows it', () => {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-contain-settings-')));
  const ws = path.join(base, 'ws');
  fs.mkdirSync(ws);
  fs.writeFileSync(path.join(base, 'outside.csv'), 'f0,label\n1,0\n');
  const file = path.join(ws, 'privacy-audit.json');
  fs.writeFileSync(file, JSON.stringify({ version: 1, audits: [{ name: 'a', model: 'model.json', members: '../outside.csv', nonMembers: '../outside.csv' }] }));
  const refused = resolveTarget(file, undefined, { workspaceFolders: [ws] });
  assert.equal(refused.manifest, undefined);
  assert.equal(refused.problems.filter((p) => /resolves outside the workspace/.test(p.message)).length, 2);
  const allowed = resolveTarget(file, undefined, { workspaceFolders: [ws], allowOutsideWorkspace: true });
  assert.equal(allowed.problems.filter((p) => /outside the workspace/.test(p.message)).length, 0);
  // The editor's live diagnostics use the same switch.
  assert.ok(parseManifest(fs.readFileSync(file, 'utf8'), file).problems.some((p) => /outside the workspace/.test(p.message)));
  assert.ok(!parseManifest(fs.readFileSync(file, 'utf8'), file, { allowOutsideWorkspace: true }).problems.some((p) => /outside the workspace/.test(p.message)));
});

test('in VS Code the root is the workspace folder holding the manifest: a manifest in a sub-folder may name its siblings', () => {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-contain-folder-')));
  const ws = path.join(base, 'ws');
  fs.mkdirSync(path.join(ws, 'audits'), { recursive: true });
  fs.mkdirSync(path.join(ws, 'data'));
  fs.writeFileSync(path.join(ws, 'data', 'train.csv'), 'f0,label\n1,0\n');
  fs.writeFileSync(path.join(base, 'secret.csv'), 'f0,label\n1,0\n');
  const file = path.join(ws, 'audits', 'privacy-audit.json');
  fs.writeFileSync(file, JSON.stringify({ version: 1, audits: [{ name: 'a', model: 'model.json', members: '../data/train.csv', nonMembers: '../../secret.csv' }] }));
  assert.equal(manifestWorkspaceRoot(file, [base, ws]), ws, 'the innermost folder');
  assert.equal(manifestWorkspaceRoot(file, ['/elsewhere']), path.join(ws, 'audits'));
  const outside = (problems: { message: string; path: (string | number)[] }[]) => problems.filter((p) => /outside the workspace/.test(p.message)).map((p) => p.path.join('.'));
  assert.deepEqual(outside(resolveTarget(file, undefined, { workspaceFolders: [ws] }).problems), ['audits.0.nonMembers']);
  // Without a workspace folder (a loose file), the manifest's own folder is the root.
  assert.deepEqual(outside(resolveTarget(file, undefined, { workspaceFolders: [] }).problems), ['audits.0.members', 'audits.0.nonMembers']);
});
