/**
 * The extension inside a real VS Code (code-server), installed from its .vsix, on a copy
 * of examples/fashion-mnist. The tests run in order: the first audit fills the engine's
 * cache that later tests (sweep, restart) rely on.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AuditOutcome } from '../../src/shared/protocol';
import { after, before, describe, it } from './mocha-globals';
import { api, codeOf, engineProcessIds, EXTENSION_ID, ourDiagnostics, reportTabOpen, textAt, waitFor, workspaceRoot } from './helpers';

const AUDIT = 'fashion-mnist-mlp';
/**
 * The example's strongest attack (by AUC) and its numbers, as the CLI reports them: the
 * manifest lists no attacks, so the defaults run, RMIA on 8 reference models among them.
 */
const STRONGEST_ATTACK = 'rmia';
const EXPECTED_LENS = 'AUC 0.707 · TPR@0.1% FPR 7.5%';
/** The strongest threshold attack, which decides the preliminary verdict. */
const STRONGEST_THRESHOLD_ATTACK = 'loss-threshold-per-class';
const PRELIMINARY_PREFIX = '[preliminary: threshold attacks only] ';

describe('Model Privacy extension', () => {
  const root = workspaceRoot();
  const manifest = vscode.Uri.joinPath(root, 'privacy-audit.json');
  const model = vscode.Uri.joinPath(root, 'model', 'model.json');
  let firstOutcome: AuditOutcome | undefined;

  before(async function () {
    this.timeout(60_000);
    // Activation must come from workspaceContains, not from the test.
    await waitFor('the extension to activate by itself', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 45_000);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('activates on a workspace with a manifest and declares limited Workspace Trust support', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(extension.isActive, true);
    const json = extension.packageJSON as { activationEvents: string[]; capabilities: { untrustedWorkspaces: { supported: unknown } } };
    assert.ok(!json.activationEvents.includes('*'));
    assert.equal(json.capabilities.untrustedWorkspaces.supported, 'limited');
  });

  it('registers every contributed command', async () => {
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(contributed.length >= 7);
    for (const command of contributed) assert.ok(registered.has(command), `${command} is not registered`);
  });

  it('detects the model, its datasets and the manifest without loading anything', async () => {
    const snapshot = await api().detection();
    assert.deepEqual(snapshot.manifests.map((m) => m.path), [manifest.fsPath]);
    assert.deepEqual(snapshot.manifests[0]!.outline.audits.map((a) => a.name), [AUDIT]);
    assert.deepEqual(snapshot.models.map((m) => [m.path, m.format, m.auditable]), [[model.fsPath, 'tfjs', true]]);
    assert.deepEqual(snapshot.datasets.map((d) => d.role).sort(), ['members', 'nonMembers', 'population']);
  });

  it('starts the engine in a trusted workspace', async function () {
    this.timeout(90_000);
    assert.equal(vscode.workspace.isTrusted, true);
    assert.equal(await api().engineSettled(80_000), 'running');
  });

  it('audits the manifest progressively: preliminary threshold findings first (CodeLens, tree, status, report marked), then the final ones from RMIA', async function () {
    this.timeout(300_000);
    const started = Date.now();
    const running = vscode.commands.executeCommand<AuditOutcome | undefined>('modelPrivacy.audit', manifest);
    let finished = false;
    void running.then(() => (finished = true), () => (finished = true));

    // The threshold attacks' verdict, while the reference models train. (defenses.test.ts ran
    // before, on another manifest text: its findings are shown stale until this result.)
    const early = await waitFor('preliminary diagnostics on privacy-audit.json', () => {
      const ds = ourDiagnostics(manifest);
      return ds.some((d) => codeOf(d) === 'threshold-only-audit' && d.message.startsWith('Preliminary: ')) ? ds : undefined;
    }, 120_000);
    const firstAfterMs = Date.now() - started;
    assert.equal(finished, false, 'the preliminary result came before the audit finished');
    const note = early.find((d) => codeOf(d) === 'threshold-only-audit')!;
    assert.match(note.message, /^Preliminary: this verdict rests on threshold attacks only .*rmia.* still running/);
    const earlyRisk = early.filter((d) => codeOf(d) === 'membership-risk');
    assert.ok(earlyRisk.length > 0 && earlyRisk.every((d) => d.message.startsWith(PRELIMINARY_PREFIX)), early.map((d) => d.message).join('\n'));
    assert.ok(earlyRisk.some((d) => d.message.startsWith(`${PRELIMINARY_PREFIX}${STRONGEST_THRESHOLD_ATTACK}: `)));
    assert.ok(!earlyRisk.some((d) => d.message.includes(`${STRONGEST_ATTACK}: `)), 'no RMIA result yet');
    // Every surface says "preliminary" until the final result.
    const lens = await waitFor('a preliminary CodeLens', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', manifest, 10);
      return found.find((l) => l.command?.title.endsWith('(preliminary: threshold attacks only)'));
    }, 10_000);
    assert.match(lens.command!.title, /^AUC 0\.611 · TPR@0\.1% FPR 0\.05% \(preliminary/);
    const [manifestNode] = api().treeRoots();
    assert.ok(manifestNode && manifestNode.kind === 'manifest');
    assert.match(manifestNode.children.find((c) => c.kind === 'audit')?.description ?? '', / · preliminary$/);
    assert.equal(api().summaries().find((s) => s.audit === AUDIT)?.preliminary, true);
    assert.equal(api().engineStatus()?.preliminary?.[0]?.audit, AUDIT, 'the status item shows the preliminary verdict');
    await waitFor('progress saying the verdict is preliminary', () => api().progress()?.message?.startsWith(`audit ${AUDIT}: preliminary: `), 20_000);
    // The report opened now shows the preliminary result, and is updated in place below.
    assert.equal(await vscode.commands.executeCommand<boolean>('modelPrivacy.openReport', { reportKey: manifest.fsPath, audit: AUDIT }), true);
    assert.equal(api().shownReport()?.audits[0]?.preliminary, true);

    firstOutcome = await running;
    const finalAfterMs = Date.now() - started;
    console.log(`[integration] first (preliminary) diagnostics after ${firstAfterMs} ms, final result after ${finalAfterMs} ms`);
    assert.ok(firstOutcome, 'the audit command returned no outcome');
    assert.deepEqual(firstOutcome.errors, []);
    assert.equal(firstOutcome.cancelled, false);
    assert.equal(firstOutcome.reportKey, manifest.fsPath);
    assert.deepEqual(firstOutcome.summaries.map((s) => [s.audit, s.bestAttack, s.severity, s.preliminary]), [[AUDIT, STRONGEST_ATTACK, 'high', undefined]]);
    const shown = await waitFor('the open report to be replaced by the final one', () => {
      const report = api().shownReport();
      return report?.audits[0] && !report.audits[0].preliminary ? report : undefined;
    }, 20_000);
    assert.ok(shown.audits[0]!.attacks.some((a) => a.id === STRONGEST_ATTACK));
    assert.equal(shown.audits[0]!.basis?.referenceModels, 8, 'modelPrivacy.shadowModels default');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    const risk = await waitFor('a high membership-risk diagnostic from rmia on privacy-audit.json', () =>
      ourDiagnostics(manifest).find((d) => codeOf(d) === 'membership-risk' && d.message.startsWith(`${STRONGEST_ATTACK}: `)));
    assert.ok(!ourDiagnostics(manifest).some((d) => d.message.startsWith(PRELIMINARY_PREFIX) || codeOf(d) === 'threshold-only-audit'), 'the final result replaced the preliminary one');
    // No attack list in the manifest: the findings sit on the audit's "model" key.
    assert.equal(await textAt(manifest, risk.range), '"model"');
    assert.equal(risk.severity, vscode.DiagnosticSeverity.Error);
    assert.match(risk.message, /TPR 7\.50% at 0\.10% FPR .* exceeds the policy maximum 1\.00%; AUC 0\.707 exceeds the policy maximum 0\.6/);
    const target = typeof risk.code === 'object' ? risk.code.target : undefined;
    assert.ok(target, 'the diagnostic links its rule documentation');
    assert.equal(target.fragment, 'membership-risk');
    assert.ok(target.path.endsWith('/docs/rules.md'), target.toString());

    const gap = ourDiagnostics(manifest).find((d) => codeOf(d) === 'generalization-gap');
    assert.ok(gap, 'a generalization-gap diagnostic');
    assert.equal(await textAt(manifest, gap.range), '"model"');
  });

  it('mirrors the model findings onto model.json, on its "modelTopology" key', async () => {
    const mirrored = await waitFor('membership-risk on model.json', () => ourDiagnostics(model).find((d) => codeOf(d) === 'membership-risk'));
    assert.equal(await textAt(model, mirrored.range), '"modelTopology"');
    assert.match(mirrored.message, new RegExp(`^audit "${AUDIT}": `));
    assert.equal(mirrored.relatedInformation?.[0]?.location.uri.fsPath, manifest.fsPath);
  });

  it('shows the result, Run audit and Open report as CodeLens over the audit', async () => {
    const lenses = await waitFor('resolved CodeLenses', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', manifest, 10);
      return found.some((l) => l.command?.title === EXPECTED_LENS) ? found : undefined;
    }, 10_000);
    const ours = lenses.filter((l) => ['Run audit', 'Open report', EXPECTED_LENS].includes(l.command?.title ?? ''));
    assert.deepEqual(ours.map((l) => l.command!.title), [EXPECTED_LENS, 'Run audit', 'Open report']);
    assert.equal(await textAt(manifest, ours[0]!.range), '"name"');
    assert.deepEqual(ours[1]!.command!.arguments, [{ target: manifest.fsPath, audit: AUDIT }]);
  });

  it('lists the manifest, its audit with its result and its findings in the tree', () => {
    const [manifestNode] = api().treeRoots();
    assert.ok(manifestNode && manifestNode.kind === 'manifest');
    const audit = manifestNode.children.find((c) => c.kind === 'audit');
    assert.ok(audit && audit.kind === 'audit');
    assert.equal(audit.description, 'AUC 0.71 · TPR@0.1% 7.5%');
    assert.deepEqual(audit.children.map((f) => f.finding.rule).sort(), ourDiagnostics(manifest).map(codeOf).sort(), 'the tree and the Problems panel agree');
  });

  it('opens the report from the tree and the palette with the key the engine filed it under', async function () {
    this.timeout(30_000);
    const summary = api().summaries().find((s) => s.audit === AUDIT);
    assert.ok(summary);
    assert.equal(summary.reportKey, manifest.fsPath, 'AuditSummary.reportKey comes from the engine');
    const [manifestNode] = api().treeRoots();
    assert.ok(manifestNode && manifestNode.kind === 'manifest');
    const audit = manifestNode.children.find((c) => c.kind === 'audit');
    assert.ok(audit && audit.kind === 'audit');
    assert.equal(audit.summary?.reportKey, manifest.fsPath);
    assert.equal(await vscode.commands.executeCommand<boolean>('modelPrivacy.openReport', audit), true);
    // The status item's "Open report" link runs the command without arguments: the only result opens.
    assert.equal(await vscode.commands.executeCommand<boolean>('modelPrivacy.openReport'), true);
    await waitFor('the report panel', () => reportTabOpen(), 10_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('explains a finding on hover', async () => {
    const risk = ourDiagnostics(manifest).find((d) => codeOf(d) === 'membership-risk')!;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', manifest, risk.range.start.translate(0, 2));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /MPL001/);
    assert.match(text, /Measured: strongest attack `rmia`/);
  });

  it('offers "Open privacy report" as the preferred quick fix and opens the report panel', async function () {
    this.timeout(30_000);
    const risk = ourDiagnostics(manifest).find((d) => codeOf(d) === 'membership-risk')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', manifest, risk.range);
    const open = actions.find((a) => a.title === `Open privacy report for "${AUDIT}"`);
    assert.ok(open, `actions: ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(open.isPreferred, true);
    assert.ok(open.command);
    const shown = await vscode.commands.executeCommand<boolean>(open.command.command, ...(open.command.arguments ?? []));
    assert.equal(shown, true);
    await waitFor('the report panel', () => reportTabOpen(), 10_000);
  });

  it('sweeps the workspace, answering the unchanged audit from the cache', async function () {
    this.timeout(120_000);
    const outcomes = await vscode.commands.executeCommand<AuditOutcome[] | undefined>('modelPrivacy.sweep');
    assert.ok(outcomes);
    assert.deepEqual(outcomes.map((o) => o.reportKey), [manifest.fsPath]);
    assert.deepEqual(outcomes[0]!.fromCache, [AUDIT]);
  });

  it('restarts the engine, which shows the cached findings again at once', async function () {
    this.timeout(90_000);
    const lifecycle = await vscode.commands.executeCommand<string>('modelPrivacy.restartEngine');
    assert.equal(lifecycle, 'running');
    await waitFor('cached findings after the restart', () => ourDiagnostics(manifest).some((d) => codeOf(d) === 'membership-risk'), 30_000);
    await waitFor('cached summaries after the restart', () => api().summaries().some((s) => s.audit === AUDIT && s.auc !== undefined), 10_000);
  });

  it('restarts a crashed engine by itself, at most 4 times in 3 minutes; then waits for the user', async function () {
    this.timeout(180_000);
    const killEngine = async () => {
      const [pid] = await waitFor('the engine process', () => {
        const ids = engineProcessIds();
        return ids.length === 1 ? ids : undefined;
      }, 30_000);
      process.kill(pid!, 'SIGKILL');
      return pid!;
    };
    // The restart command of the previous test started a fresh count.
    for (let crash = 1; crash <= 4; crash++) {
      const killed = await killEngine();
      await waitFor(`a new engine after crash ${crash}`, () => api().engineLifecycle() === 'running' && !engineProcessIds().includes(killed) && engineProcessIds().length === 1, 30_000);
    }
    await waitFor('the cached findings of the restarted engine', () => ourDiagnostics(manifest).some((d) => codeOf(d) === 'membership-risk'), 30_000);
    await killEngine();
    await waitFor('the engine to stay down after the 5th crash', () => api().engineLifecycle() === 'crashed', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(api().engineLifecycle(), 'crashed');
    assert.deepEqual(engineProcessIds(), []);
    assert.deepEqual(ourDiagnostics(manifest), [], 'a stopped engine leaves no findings behind');
    // "Restart engine" (the error message's action) brings it back.
    assert.equal(await vscode.commands.executeCommand<string>('modelPrivacy.restartEngine'), 'running');
    await waitFor('findings after the manual restart', () => ourDiagnostics(manifest).some((d) => codeOf(d) === 'membership-risk'), 30_000);
  });

  it('cancels an audit within a second while the audit worker is still starting', async function () {
    this.timeout(120_000);
    // The previous test left a new engine whose worker has not started. A changed manifest text is a new cache key.
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(manifest));
    await vscode.workspace.fs.writeFile(manifest, new TextEncoder().encode(`${text.trimEnd()}\n\n`));
    const running = vscode.commands.executeCommand<AuditOutcome | undefined>('modelPrivacy.audit', { target: manifest.fsPath, audit: AUDIT });
    // "auditing" is announced just before the engine creates the worker thread, which then loads TensorFlow.
    await waitFor('the engine to start the audit', () => api().engineStatus()?.state === 'auditing', 30_000);
    assert.ok(!api().progress()?.message?.startsWith(`audit ${AUDIT}: `), `the worker already reports stages: ${api().progress()?.message}`);
    const cancelledAt = Date.now();
    await vscode.commands.executeCommand('modelPrivacy.cancel');
    const outcome = await running;
    const elapsed = Date.now() - cancelledAt;
    assert.ok(outcome, 'the cancelled audit still answers with an outcome');
    assert.equal(outcome.cancelled, true);
    assert.ok(elapsed < 1000, `the audit took ${elapsed} ms to stop`);
    await waitFor('the engine to be idle again', () => api().engineStatus()?.state !== 'auditing', 10_000);
  });

  it('cancels a running audit within a second', async function () {
    this.timeout(120_000);
    // A changed manifest text is a new cache key: the audit really runs (and at once: no wait for the worker cancelled before).
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(manifest));
    await vscode.workspace.fs.writeFile(manifest, new TextEncoder().encode(`${text.trimEnd()}\n\n\n`));
    const running = vscode.commands.executeCommand<AuditOutcome | undefined>('modelPrivacy.audit', { target: manifest.fsPath, audit: AUDIT });
    // Cancel inside the computation: the worker has loaded the model and reports its stages.
    await waitFor('the worker to report a stage of the audit', () => api().progress()?.message?.startsWith(`audit ${AUDIT}: `), 30_000);
    const cancelledAt = Date.now();
    await vscode.commands.executeCommand('modelPrivacy.cancel');
    const outcome = await running;
    const elapsed = Date.now() - cancelledAt;
    assert.ok(outcome, 'the cancelled audit still answers with an outcome');
    assert.equal(outcome.cancelled, true);
    assert.ok(elapsed < 1000, `the audit took ${elapsed} ms to stop`);
    await waitFor('the engine to be idle again', () => api().engineStatus()?.state !== 'auditing', 10_000);
  });

  it('proposes a manifest for a model without one (quick fix on model.json) and opens it', async function () {
    this.timeout(60_000);
    const folder = vscode.Uri.joinPath(root, 'second');
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(root, 'model'), vscode.Uri.joinPath(folder, 'model'));
    for (const name of ['members.npz', 'nonmembers.npz']) {
      await vscode.workspace.fs.copy(vscode.Uri.joinPath(root, 'data', name), vscode.Uri.joinPath(folder, 'data', name));
    }
    const secondModel = vscode.Uri.joinPath(folder, 'model', 'model.json');
    await waitFor('the copied model to be detected', async () => (await api().detection()).models.some((m) => m.path === secondModel.fsPath), 15_000);

    // Code actions are asked for an open document.
    await vscode.window.showTextDocument(secondModel);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', secondModel, new vscode.Range(0, 0, 0, 0));
    const create = actions.find((a) => a.title === 'Create audit manifest from detected files');
    assert.ok(create?.command, `actions: ${actions.map((a) => a.title).join(', ')}`);
    // The model's workspace folder already has a manifest, so the proposal goes beside its data.
    const created = await vscode.commands.executeCommand<string | undefined>(create.command.command, ...(create.command.arguments ?? []));
    const expected = vscode.Uri.joinPath(folder, 'privacy-audit.json');
    assert.equal(created, expected.toString());
    const proposal = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(expected))) as { audits: { model: string; members: unknown }[] };
    assert.equal(proposal.audits.length, 1);
    assert.equal(proposal.audits[0]!.model, 'model/model.json');
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, expected.fsPath);
    await waitFor('the new manifest to be detected', async () => (await api().detection()).manifests.some((m) => m.path === expected.fsPath), 15_000);
  });

  it('honours modelPrivacy.exclude at once, and lists the files again when it is reset', async function () {
    this.timeout(60_000);
    const config = vscode.workspace.getConfiguration('modelPrivacy');
    const secondModel = vscode.Uri.joinPath(root, 'second', 'model', 'model.json').fsPath;
    const listed = async () => (await api().detection()).models.map((m) => m.path);
    assert.ok((await listed()).includes(secondModel));
    try {
      await config.update('exclude', ['**/second/**'], vscode.ConfigurationTarget.Workspace);
      await waitFor('the excluded model to leave detection', async () => !(await listed()).includes(secondModel), 15_000);
      assert.deepEqual(await listed(), [model.fsPath]);
    } finally {
      await config.update('exclude', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('the model to be listed again', async () => (await listed()).includes(secondModel), 15_000);
  });

  it('applies a changed default policy in the running engine, without a restart', async function () {
    this.timeout(60_000);
    const config = vscode.workspace.getConfiguration('modelPrivacy');
    const [engine] = await waitFor('one engine process', () => {
      const ids = engineProcessIds();
      return ids.length === 1 ? ids : undefined;
    }, 10_000);
    const folder = vscode.Uri.joinPath(root, 'third');
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(root, 'model'), vscode.Uri.joinPath(folder, 'model'));
    for (const name of ['members.npz', 'nonmembers.npz']) {
      await vscode.workspace.fs.copy(vscode.Uri.joinPath(root, 'data', name), vscode.Uri.joinPath(folder, 'data', name));
    }
    try {
      await config.update('policy.maxAuc', 0.55, vscode.ConfigurationTarget.Workspace);
      await waitFor('the setting to read back', () => vscode.workspace.getConfiguration('modelPrivacy').get('policy.maxAuc') === 0.55, 10_000);
      // The engine writes its default policy into the manifests it proposes.
      const created = await vscode.commands.executeCommand<string | undefined>('modelPrivacy.createManifest', { target: folder.fsPath });
      assert.equal(created, vscode.Uri.joinPath(folder, 'privacy-audit.json').toString());
      const proposal = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.parse(created)))) as {
        audits: { policy: { rules: { metric: string; max: number }[] } }[];
      };
      assert.equal(proposal.audits[0]!.policy.rules.find((rule) => rule.metric === 'auc')?.max, 0.55);
      assert.deepEqual(engineProcessIds(), [engine], 'the same engine process');
      assert.equal(api().engineLifecycle(), 'running');
    } finally {
      await config.update('policy.maxAuc', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('audits a model without a manifest, with population data beside it: preliminary findings first, then high risk from the reference-model attacks', async function () {
    this.timeout(300_000);
    const folder = vscode.Uri.joinPath(root, 'fourth');
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(root, 'model'), vscode.Uri.joinPath(folder, 'model'));
    for (const name of ['members.npz', 'nonmembers.npz', 'population.npz']) {
      await vscode.workspace.fs.copy(vscode.Uri.joinPath(root, 'data', name), vscode.Uri.joinPath(folder, 'data', name));
    }
    const fourthModel = vscode.Uri.joinPath(folder, 'model', 'model.json');
    // Five files copied at once: the watcher's events may come in bursts on a loaded machine.
    await waitFor('the copied model to be detected', async () => (await api().detection()).models.some((m) => m.path === fourthModel.fsPath), 45_000);
    let first: vscode.Diagnostic[] | undefined;
    const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      if (first || !event.uris.some((u) => u.fsPath === fourthModel.fsPath)) return;
      const found = ourDiagnostics(fourthModel);
      if (found.length) first = found;
    });
    let outcome: AuditOutcome | undefined;
    try {
      // What "Audit Membership Risk" on the file in the Explorer passes.
      outcome = await vscode.commands.executeCommand<AuditOutcome | undefined>('modelPrivacy.audit', fourthModel);
    } finally {
      subscription.dispose();
    }
    assert.ok(outcome);
    assert.deepEqual(outcome.errors, []);
    const [summary] = outcome.summaries;
    assert.equal(summary?.model, fourthModel.fsPath, 'this model, audited under a proposed manifest');
    assert.equal(summary?.manifest, undefined);
    assert.equal(summary?.severity, 'high');
    assert.equal(summary?.preliminary, undefined);
    assert.ok(first?.some((d) => codeOf(d) === 'threshold-only-audit' && d.message.startsWith('Preliminary: ')), `first findings: ${first?.map((d) => d.message).join('\n')}`);
    const final = ourDiagnostics(fourthModel);
    const high = final.filter((d) => codeOf(d) === 'membership-risk' && d.severity === vscode.DiagnosticSeverity.Error);
    assert.ok(high.length > 0 && high.every((d) => /^(rmia|lira-(offline|online)(-fixed)?): /.test(d.message)), final.map((d) => d.message).join('\n'));
    assert.ok(!final.some((d) => d.message.startsWith(PRELIMINARY_PREFIX) || codeOf(d) === 'threshold-only-audit'), 'the final result replaced the preliminary one');
    await vscode.workspace.fs.delete(folder, { recursive: true });
  });

  it('writes the engine\'s log lines to the "Model Privacy" log once prefixed, at their level', async function () {
    this.timeout(20_000);
    const file = vscode.Uri.joinPath(api().logFolder(), 'Model Privacy.log');
    const started = await waitFor('the engine\'s start line in the log file', async () => {
      const lines = new TextDecoder().decode(await vscode.workspace.fs.readFile(file)).split('\n');
      return lines.find((l) => l.includes('Model Privacy engine ') && l.includes(' started (node '));
    }, 10_000);
    assert.match(started, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[info\] Model Privacy engine \S+ started/);
    const lines = new TextDecoder().decode(await vscode.workspace.fs.readFile(file)).split('\n');
    const doubled = lines.filter((l) => /\[(Trace|Debug|Info|Warn|Error)\s*- /.test(l));
    assert.deepEqual(doubled, [], 'no line carries the language client\'s own prefix');
  });
});
