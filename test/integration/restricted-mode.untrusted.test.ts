/**
 * Restricted Mode for real: the example workspace opened in a code-server with Workspace
 * Trust on and never trusted (run.mjs runs this file apart from the trusted ones).
 * Detection and the tree still work; the engine starts untrusted and only scans files'
 * bytes (a malicious pickle gets its error here too, where it matters most); every command
 * that would load a model refuses and says why, and starts nothing more.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { before, describe, it } from './mocha-globals';
import { api, codeOf, engineProcessIds, EXTENSION_ID, ourDiagnostics, waitFor, workspaceRoot } from './helpers';

/** Written by prepare.mjs (SCAN_FIXTURE) under a name detection ignores; see scan.test.ts. */
const SCAN_FIXTURE = 'scan-fixture.pickle-bytes';

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

  let engineIds: number[] = [];

  it('starts one engine process, untrusted: the lifecycle stays restricted', async function () {
    this.timeout(60_000);
    assert.equal(await api().engineSettled(5_000), 'restricted');
    engineIds = await waitFor('the untrusted engine process', () => (engineProcessIds().length ? engineProcessIds() : undefined), 45_000);
    assert.equal(engineIds.length, 1, `one engine process, found ${engineIds.join(', ')}`);
    assert.equal(api().engineLifecycle(), 'restricted', 'running untrusted is still Restricted Mode');
  });

  it('scans a malicious pickle that appears in the untrusted workspace: an error naming os.system, never a load', async function () {
    this.timeout(90_000);
    const pickle = vscode.Uri.joinPath(root, 'downloads', 'classifier.pkl');
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(root, 'downloads'));
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(root, SCAN_FIXTURE), pickle, { overwrite: true });
    try {
      const diagnostics = await waitFor('the scan diagnostic on classifier.pkl', () => {
        const found = ourDiagnostics(pickle).filter((d) => codeOf(d) === 'unsafe-artifact');
        return found.length ? found : undefined;
      }, 60_000);
      assert.equal(diagnostics[0]!.severity, vscode.DiagnosticSeverity.Error, 'an error');
      assert.match(diagnostics[0]!.message, /imports os\.system at byte 31\b/, 'names the callable and offset');
      const entry = (await api().detection()).models.find((m) => m.path === pickle.fsPath);
      assert.ok(entry && entry.unsafe && !entry.auditable, `listed unsafe and not auditable: ${JSON.stringify(entry)}`);
    } finally {
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(root, 'downloads'), { recursive: true });
    }
    await waitFor('the scan diagnostic to clear', () => ourDiagnostics(pickle).length === 0, 45_000);
  });

  it('refuses to audit, says why, and still starts nothing', async () => {
    const outcome = await vscode.commands.executeCommand<unknown>('modelPrivacy.audit', manifest);
    assert.equal(outcome, undefined, 'no audit outcome');
    const notice = api().lastRestrictedNotice();
    assert.ok(notice, 'the refusal was explained');
    assert.equal(notice.what, 'Auditing membership risk');
    assert.match(notice.message, /Restricted Mode/);
    assert.match(notice.message, /loads and runs the workspace's models/);
    assert.deepEqual(engineProcessIds(), engineIds, 'no other process started');
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
    assert.deepEqual(engineProcessIds(), engineIds, 'the same single engine process');
    assert.equal(api().engineLifecycle(), 'restricted');
  });
});
