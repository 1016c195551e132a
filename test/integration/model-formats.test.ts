/**
 * ONNX and Keras models inside VS Code. The .vsix carries onnxruntime's native addon for
 * its platform (esbuild.mjs stages it in dist/native/onnxruntime/) and h5wasm in the
 * bundle, so both audit from the editor as from the CLI: by right-click without a manifest
 * and from a manifest, whose loss-threshold AUCs must equal the numpy values of
 * scripts/make-model-fixtures.py. Fixture files come from prepare.mjs
 * (MODEL_FORMATS_FIXTURE) under names detection ignores; this test copies them to real
 * names and removes them after.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AuditOutcome, AuditSummary } from '../../src/shared/protocol';
import { after, before, describe, it } from './mocha-globals';
import { api, EXTENSION_ID, waitFor, workspaceRoot } from './helpers';

/** Written by prepare.mjs (MODEL_FORMATS_FIXTURE). */
const FIXTURE = 'model-formats-fixture';

describe('ONNX and Keras models audited in VS Code', () => {
  const root = workspaceRoot();
  const fixture = vscode.Uri.joinPath(root, FIXTURE);
  const folder = vscode.Uri.joinPath(root, 'imported-models');
  const manifest = vscode.Uri.joinPath(folder, 'privacy-audit.json');

  before(async function () {
    this.timeout(150_000);
    await waitFor('the extension to activate by itself', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 45_000);
    assert.equal(await api().engineSettled(80_000), 'running', 'the engine runs in the trusted workspace');
    await vscode.workspace.fs.createDirectory(folder);
    for (const [from, to] of [['torch-mlp.onnx-bytes', 'torch-mlp.onnx'], ['keras2-mlp.h5-bytes', 'keras2-mlp.h5'], ['members.csv-bytes', 'members.csv'], ['nonmembers.csv-bytes', 'nonmembers.csv']]) {
      await vscode.workspace.fs.copy(vscode.Uri.joinPath(fixture, from!), vscode.Uri.joinPath(folder, to!), { overwrite: true });
    }
  });

  after(async function () {
    this.timeout(30_000);
    await vscode.workspace.fs.delete(folder, { recursive: true });
    await waitFor('detection to forget the imported models', async () => !(await api().detection()).models.some((m) => m.path.startsWith(folder.fsPath)), 20_000);
  });

  for (const [file, format] of [['torch-mlp.onnx', 'onnx'], ['keras2-mlp.h5', 'keras']] as const) {
    it(`detects ${file} as auditable, and "Audit Membership Risk" on the file audits it without a manifest`, async function () {
      this.timeout(120_000);
      const model = vscode.Uri.joinPath(folder, file);
      const entry = await waitFor(`detection to list ${file}`, async () => (await api().detection()).models.find((m) => m.path === model.fsPath), 20_000);
      assert.deepEqual([entry.format, entry.auditable], [format, true], `an auditable ${format} model`);
      // The explorer's context menu passes the file's Uri: the engine proposes an audit from the data beside it.
      const outcome = await vscode.commands.executeCommand<AuditOutcome | undefined>('modelPrivacy.audit', model);
      assert.ok(outcome, 'the audit command returned an outcome');
      assert.deepEqual(outcome.errors, [], 'no input problem');
      assert.equal(outcome.summaries.length, 1, `one audit, for ${file}: ${JSON.stringify(outcome.summaries)}`);
      assert.ok(outcome.summaries[0]!.model.endsWith(file), `the audited model: ${outcome.summaries[0]!.model}`);
      assert.ok(Number.isFinite(outcome.summaries[0]!.auc), 'with numbers');
    });
  }

  it('audits both from a manifest with the bundled runtimes: each loss-threshold AUC equals numpy\'s', async function () {
    this.timeout(120_000);
    const audit = (name: string, model: string) => ({ name, model, members: 'members.csv', nonMembers: 'nonmembers.csv', attacks: ['loss-threshold'] });
    const audits = [audit('onnx-mlp', 'torch-mlp.onnx'), audit('keras-mlp', 'keras2-mlp.h5')];
    await vscode.workspace.fs.writeFile(manifest, new TextEncoder().encode(JSON.stringify({ version: 1, audits }, null, 2)));
    const outcome = await vscode.commands.executeCommand<AuditOutcome | undefined>('modelPrivacy.audit', manifest);
    assert.ok(outcome, 'the audit command returned an outcome');
    assert.deepEqual(outcome.errors, [], 'no input problem (both runtimes loaded)');
    const expected = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(fixture, 'expected.json')))) as { audit: Record<string, { lossThresholdAuc: number }> };
    for (const [name, reference] of [['onnx-mlp', 'onnx-with-keras-shadows'], ['keras-mlp', 'keras-h5']] as const) {
      const summary: AuditSummary | undefined = outcome.summaries.find((s) => s.audit === name);
      assert.ok(summary, `${name} ran: ${JSON.stringify(outcome.summaries)}`);
      const want = expected.audit[reference]!.lossThresholdAuc;
      assert.equal(summary.bestAttack, 'loss-threshold', `${name}: the one attack`);
      assert.ok(Math.abs(summary.auc! - want) < 1e-9, `${name}: loss-threshold AUC ${summary.auc} equals numpy's ${want}`);
    }
  });
});
