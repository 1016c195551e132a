/**
 * Defenses in VS Code: an audit whose manifest evaluates fast inference-time defenses
 * (top-k, labels-only: they only wrap the example model's outputs) recommends one, the
 * tree and hover show the recommendation, and its quick fix writes that defense into the
 * audit as "defense". The manifest comes from test/integration/prepare.mjs
 * (defenses-fixture.json); this file runs before extension.test.ts (the runner sorts
 * files), so it puts the example's own privacy-audit.json back when it is done.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AuditOutcome } from '../../src/shared/protocol';
import { after, before, describe, it } from './mocha-globals';
import { api, codeOf, EXTENSION_ID, ourDiagnostics, textAt, waitFor, workspaceRoot } from './helpers';

const AUDIT = 'fashion-mnist-mlp';
/** Written by prepare.mjs (DEFENSES_FIXTURE). */
const FIXTURE = 'defenses-fixture.json';
const EVALUATED = ['top-k', 'labels-only'];

interface DefenseConfig {
  name: string;
  [key: string]: unknown;
}

interface FixtureManifest {
  audits: { name: string; defense?: DefenseConfig; defenses: { evaluate: DefenseConfig[] }; [key: string]: unknown }[];
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('Defenses: recommendation and "add defense" quick fix', () => {
  const root = workspaceRoot();
  const manifest = vscode.Uri.joinPath(root, 'privacy-audit.json');
  let original: Uint8Array | undefined;
  let fixture: FixtureManifest;

  before(async function () {
    this.timeout(150_000);
    await waitFor('the extension to activate by itself', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 45_000);
    assert.equal(await api().engineSettled(80_000), 'running', 'the engine runs in the trusted workspace');
    original = await vscode.workspace.fs.readFile(manifest);
    const fixtureBytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(root, FIXTURE));
    fixture = JSON.parse(decode(fixtureBytes)) as FixtureManifest;
    await vscode.workspace.fs.writeFile(manifest, fixtureBytes);
  });

  after(async function () {
    this.timeout(30_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (original) {
      await vscode.workspace.fs.writeFile(manifest, original);
      const restored = decode(original);
      await waitFor('the example manifest to be back on disk', async () => decode(await vscode.workspace.fs.readFile(manifest)) === restored, 10_000);
    }
  });

  it('recommends a defense, shows it in the tree and hover, and the quick fix adds it to the audit', async function () {
    this.timeout(300_000);
    const outcome = await vscode.commands.executeCommand<AuditOutcome | undefined>('modelPrivacy.audit', manifest);
    assert.ok(outcome, 'the audit command returned an outcome');
    assert.deepEqual(outcome.errors, [], 'the manifest with defenses is valid and the audit ran');
    assert.equal(outcome.cancelled, false, 'not cancelled');

    const recommendation = await waitFor(
      'a defense-recommendation diagnostic on privacy-audit.json',
      () => ourDiagnostics(manifest).find((d) => codeOf(d) === 'defense-recommendation'),
      30_000,
    );
    // The finding sits on the recommended entry of audits[0].defenses.evaluate.
    const entry = JSON.parse(await textAt(manifest, recommendation.range)) as DefenseConfig;
    assert.ok(EVALUATED.includes(entry.name), `the diagnostic covers an evaluated defense, got ${JSON.stringify(entry)}`);

    const [manifestNode] = api().treeRoots();
    assert.ok(manifestNode && manifestNode.kind === 'manifest', 'the tree lists the manifest');
    const auditNode = manifestNode.children.find((c) => c.kind === 'audit');
    assert.ok(auditNode && auditNode.kind === 'audit', 'the tree lists the audit');
    assert.ok(auditNode.children.some((f) => f.finding.rule === 'defense-recommendation'), 'the tree lists the recommendation');

    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', manifest, recommendation.range.start.translate(0, 1));
    const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(hoverText, /MPL011/, 'the hover explains the rule');

    // Code actions are asked for an open document.
    const document = await vscode.workspace.openTextDocument(manifest);
    await vscode.window.showTextDocument(document);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', manifest, recommendation.range);
    const fix = actions.find((a) => /^Use .+ for this model \(adds "defense" to the audit\)$/.test(a.title));
    assert.ok(fix?.edit, `a quick fix with an edit; actions: ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(fix.isPreferred, true, 'the fix is the preferred action');
    assert.equal(fix.kind?.value, 'quickfix.modelPrivacy.addDefense', 'a quick fix kind');
    const name = /^Use (.+) for this model/.exec(fix.title)![1]!;
    assert.equal(name, entry.name, 'the fix adds the defense the diagnostic sits on');

    assert.equal(await vscode.workspace.applyEdit(fix.edit), true, 'the edit applies');
    assert.equal(await document.save(), true, 'the edited manifest saves');
    const edited = JSON.parse(decode(await vscode.workspace.fs.readFile(manifest))) as FixtureManifest;
    const audit = edited.audits[0]!;
    assert.equal(audit.name, AUDIT, 'the same audit');
    assert.ok(audit.defense, 'the audit now has "defense"');
    assert.equal(audit.defense.name, name, 'the recommended defense');
    const evaluated = fixture.audits[0]!.defenses.evaluate.find((e) => e.name === name)!;
    for (const [key, value] of Object.entries(evaluated)) assert.deepEqual(audit.defense[key], value, `"defense".${key} as evaluated`);
    const { defense: _added, ...rest } = audit;
    assert.deepEqual(rest, fixture.audits[0], 'every other key of the audit is unchanged');

    // Now that the audit uses it, the fix is not offered again.
    const again = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', manifest, recommendation.range);
    assert.ok(!again.some((a) => a.title.startsWith('Use ')), `no second "Use" fix; actions: ${again.map((a) => a.title).join(', ')}`);

    // The pasted configuration is valid for the engine's live manifest validation.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(ourDiagnostics(manifest).filter((d) => codeOf(d) === 'invalid-input').map((d) => d.message), [], 'no manifest problem after the fix');
  });
});
