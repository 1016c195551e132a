/**
 * ONNX inside VS Code: the .vsix carries onnxruntime's native addon for its platform
 * (esbuild.mjs stages it in dist/native/onnxruntime/), so an ONNX model audits from the
 * editor as from the CLI. The loss-threshold AUC must equal the numpy value of
 * scripts/make-model-fixtures.py. Fixture files come from prepare.mjs (ONNX_FIXTURE) under
 * names detection ignores; this test copies them to real names and removes them after.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AuditOutcome } from '../../src/shared/protocol';
import { after, before, describe, it } from './mocha-globals';
import { api, EXTENSION_ID, waitFor, workspaceRoot } from './helpers';

/** Written by prepare.mjs (ONNX_FIXTURE). */
const FIXTURE = 'onnx-fixture';

describe('ONNX models audited in VS Code', () => {
  const root = workspaceRoot();
  const fixture = vscode.Uri.joinPath(root, FIXTURE);
  const folder = vscode.Uri.joinPath(root, 'onnx-model');
  const manifest = vscode.Uri.joinPath(folder, 'privacy-audit.json');

  before(async function () {
    this.timeout(150_000);
    await waitFor('the extension to activate by itself', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 45_000);
    assert.equal(await api().engineSettled(80_000), 'running', 'the engine runs in the trusted workspace');
    await vscode.workspace.fs.createDirectory(folder);
    for (const [from, to] of [['torch-mlp.onnx-bytes', 'torch-mlp.onnx'], ['members.csv-bytes', 'members.csv'], ['nonmembers.csv-bytes', 'nonmembers.csv']]) {
      await vscode.workspace.fs.copy(vscode.Uri.joinPath(fixture, from!), vscode.Uri.joinPath(folder, to!), { overwrite: true });
    }
  });

  after(async function () {
    this.timeout(30_000);
    await vscode.workspace.fs.delete(folder, { recursive: true });
    await waitFor('detection to forget the ONNX model', async () => !(await api().detection()).models.some((m) => m.path.startsWith(folder.fsPath)), 20_000);
  });

  it('detects the ONNX model as auditable, and "Audit Membership Risk" on the file audits it without a manifest', async function () {
    this.timeout(120_000);
    const model = vscode.Uri.joinPath(folder, 'torch-mlp.onnx');
    const entry = await waitFor('detection to list the ONNX model', async () => (await api().detection()).models.find((m) => m.path === model.fsPath), 20_000);
    assert.deepEqual([entry.format, entry.auditable], ['onnx', true], 'an auditable ONNX model');
    // The explorer's context menu passes the file's Uri: the engine proposes an audit from the data beside it.
    const outcome = await vscode.commands.executeCommand<AuditOutcome | undefined>('modelPrivacy.audit', model);
    assert.ok(outcome, 'the audit command returned an outcome');
    assert.deepEqual(outcome.errors, [], 'no input problem');
    assert.equal(outcome.summaries.length, 1, `one audit, for the ONNX model: ${JSON.stringify(outcome.summaries)}`);
    assert.ok(outcome.summaries[0]!.model.endsWith('torch-mlp.onnx'), `the audited model: ${outcome.summaries[0]!.model}`);
    assert.ok(Number.isFinite(outcome.summaries[0]!.auc), 'with numbers');
  });

  it('audits it from a manifest with the bundled runtime: the loss-threshold AUC equals numpy\'s', async function () {
    this.timeout(120_000);
    const audit = { name: 'onnx-mlp', model: 'torch-mlp.onnx', members: 'members.csv', nonMembers: 'nonmembers.csv', attacks: ['loss-threshold'] };
    await vscode.workspace.fs.writeFile(manifest, new TextEncoder().encode(JSON.stringify({ version: 1, audits: [audit] }, null, 2)));
    const outcome = await vscode.commands.executeCommand<AuditOutcome | undefined>('modelPrivacy.audit', manifest);
    assert.ok(outcome, 'the audit command returned an outcome');
    assert.deepEqual(outcome.errors, [], 'no input problem (the runtime loaded)');
    const [summary] = outcome.summaries;
    assert.equal(summary?.audit, 'onnx-mlp', 'the ONNX audit ran');
    const expected = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(fixture, 'expected.json')))) as { audit: Record<string, { lossThresholdAuc: number }> };
    const want = expected.audit['onnx-with-keras-shadows']!.lossThresholdAuc;
    assert.equal(summary.bestAttack, 'loss-threshold', 'the one attack');
    assert.ok(Math.abs(summary.auc! - want) < 1e-9, `loss-threshold AUC ${summary.auc} equals numpy's ${want}`);
  });
});
