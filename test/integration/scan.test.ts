/**
 * Static scans in VS Code: a malicious pickle appearing in the workspace gets an error
 * diagnostic naming the callable and its byte offset (the engine scans its bytes, never
 * loads it), detection lists it as unsafe and not auditable, and deleting it clears the
 * diagnostic. The pickle comes from test/integration/prepare.mjs (SCAN_FIXTURE) under a
 * name detection ignores; this test copies it to a .pkl name and removes it afterwards,
 * so the other test files see the example unchanged.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { after, before, describe, it } from './mocha-globals';
import { api, codeOf, EXTENSION_ID, ourDiagnostics, waitFor, workspaceRoot } from './helpers';

/** Written by prepare.mjs (SCAN_FIXTURE): test/fixtures/scan/os-system-stack-global.pkl. */
const FIXTURE = 'scan-fixture.pickle-bytes';
/** Where pickletools.genops puts its STACK_GLOBAL (test/fixtures/scan/genops.json). */
const STACK_GLOBAL_OFFSET = 31;

describe('Static scan of pickle-based files', () => {
  const root = workspaceRoot();
  const source = vscode.Uri.joinPath(root, FIXTURE);
  const pickle = vscode.Uri.joinPath(root, 'downloads', 'classifier.pkl');

  before(async function () {
    this.timeout(150_000);
    await waitFor('the extension to activate by itself', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 45_000);
    assert.equal(await api().engineSettled(80_000), 'running', 'the engine runs in the trusted workspace');
    await api().detection();
  });

  after(async () => {
    await Promise.resolve(vscode.workspace.fs.delete(vscode.Uri.joinPath(root, 'downloads'), { recursive: true })).catch(() => undefined);
  });

  it('publishes an error naming os.system and its byte offset on a malicious pickle', async function () {
    this.timeout(90_000);
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(root, 'downloads'));
    await vscode.workspace.fs.copy(source, pickle, { overwrite: true });
    const diagnostics = await waitFor('the scan diagnostic on classifier.pkl', () => {
      const found = ourDiagnostics(pickle).filter((d) => codeOf(d) === 'unsafe-artifact');
      return found.length ? found : undefined;
    }, 60_000);
    assert.equal(diagnostics.length, 1, `one diagnostic, found ${diagnostics.map((d) => d.message).join(' | ')}`);
    assert.equal(diagnostics[0].severity, vscode.DiagnosticSeverity.Error, 'an error');
    assert.match(diagnostics[0].message, new RegExp(`imports os\\.system at byte ${STACK_GLOBAL_OFFSET}\\b`), 'names the callable and offset');
    assert.equal(diagnostics[0].range.start.line, 0, 'on the file as a whole (its first line)');
  });

  it('lists the pickle as unsafe and not auditable: it is never handed to a loader', async () => {
    const snapshot = await api().detection();
    const entry = snapshot.models.find((m) => m.path === pickle.fsPath);
    assert.ok(entry, `detection lists ${pickle.fsPath}`);
    assert.equal(entry.format, 'pickle', 'format');
    assert.equal(entry.unsafe, true, 'marked unsafe');
    assert.equal(entry.auditable, false, 'not auditable');
  });

  it('clears the diagnostic when the file is deleted', async function () {
    this.timeout(60_000);
    await vscode.workspace.fs.delete(pickle);
    await waitFor('the scan diagnostic to clear', () => ourDiagnostics(pickle).length === 0, 45_000);
  });
});
