/**
 * Restricted Mode for real: the example workspace opened in a code-server with Workspace
 * Trust on and never trusted (run.mjs runs this file apart from the trusted ones).
 * Detection and the tree still work; the engine process never starts; every command that
 * would load a model refuses and says why.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { before, describe, it } from './mocha-globals';
import { api, engineProcessIds, EXTENSION_ID, ourDiagnostics, waitFor, workspaceRoot } from './helpers';

describe('Model Privacy extension in Restricted Mode', () => {
  const root = workspaceRoot();
  const manifest = vscode.Uri.joinPath(root, 'privacy-audit.json');
  const model = vscode.Uri.joinPath(root, 'model', 'model.json');

  before(async function () {
    this.timeout(60_000);
    await waitFor('the extension to activate by itself', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 45_000);
  });

  it('opens the workspace untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the harness opened the folder in Restricted Mode');
    assert.equal(api().engineLifecycle(), 'restricted');
  });

  it('detects the model, its datasets and the manifest, and lists them in the tree', async () => {
    const snapshot = await api().detection();
    assert.deepEqual(snapshot.manifests.map((m) => m.path), [manifest.fsPath]);
    assert.deepEqual(snapshot.models.map((m) => [m.path, m.format, m.auditable]), [[model.fsPath, 'tfjs', true]]);
    assert.deepEqual(snapshot.datasets.map((d) => d.role).sort(), ['members', 'nonMembers', 'population']);
    const [manifestNode] = api().treeRoots();
    assert.ok(manifestNode && manifestNode.kind === 'manifest', JSON.stringify(api().treeRoots().map((n) => n.kind)));
    assert.deepEqual(manifestNode.children.filter((c) => c.kind === 'audit').map((c) => c.label), ['fashion-mnist-mlp']);
  });

  it('never starts the engine process', async () => {
    assert.equal(await api().engineSettled(5_000), 'restricted');
    // Detection is done; give a wrongly started engine time to show up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(engineProcessIds(), []);
    assert.equal(api().engineStatus(), undefined);
  });

  it('refuses to audit, says why, and still starts nothing', async () => {
    const outcome = await vscode.commands.executeCommand<unknown>('modelPrivacy.audit', manifest);
    assert.equal(outcome, undefined, 'no audit outcome');
    const notice = api().lastRestrictedNotice();
    assert.ok(notice, 'the refusal was explained');
    assert.equal(notice.what, 'Auditing membership risk');
    assert.match(notice.message, /Restricted Mode/);
    assert.match(notice.message, /loads and runs the workspace's models/);
    assert.deepEqual(engineProcessIds(), []);
    assert.equal(api().engineLifecycle(), 'restricted');
    assert.deepEqual(ourDiagnostics(manifest), [], 'nothing was audited');
    assert.deepEqual(api().summaries(), []);
  });

  it('refuses sweep, report, manifest creation and restart the same way', async () => {
    const commands: [string, unknown[], string][] = [
      ['modelPrivacy.sweep', [], 'Sweeping the workspace'],
      ['modelPrivacy.openReport', [{ reportKey: manifest.fsPath }], 'Opening the privacy report'],
      ['modelPrivacy.createManifest', [{ target: root.fsPath }], 'Creating an audit manifest'],
      ['modelPrivacy.restartEngine', [], 'Restarting the audit engine'],
    ];
    for (const [command, args, what] of commands) {
      const result = await vscode.commands.executeCommand<unknown>(command, ...args);
      assert.ok(result === undefined || result === false || result === 'restricted', `${command} returned ${JSON.stringify(result)}`);
      assert.equal(api().lastRestrictedNotice()?.what, what, command);
    }
    assert.deepEqual(engineProcessIds(), []);
    assert.equal(api().engineLifecycle(), 'restricted');
  });
});
