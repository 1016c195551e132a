/**
 * End to end over IPC: the built server (dist/server.js, forked with --node-ipc as
 * vscode-languageclient does) validating a manifest live, auditing a small workspace in
 * its worker thread, answering from its cache, and cancelling.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DiagnosticSeverity,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ResponseError,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  type WorkDoneProgressReport,
} from 'vscode-languageserver-protocol/node';
import {
  AuditRequest,
  CancelAllNotification,
  DidChangeEngineSettingsNotification,
  ProposeManifestRequest,
  ReportRequest,
  ScanArtifactsRequest,
  StatusNotification,
  StatusRequest,
  SummariesRequest,
  SweepRequest,
  type AuditOutcome,
  type EngineSettings,
} from '../../src/shared/protocol';
import { STALE_PREFIX } from '../../src/server/diagnostics';
import { pathToUri } from '../../src/server/uris';
import { buildServerWorkspace } from '../fixtures/server/workspace';
import { ensureBuilt, SERVER_JS, startServer, WORKER_JS, type TestServer } from '../fixtures/server/server-client';

const TIMEOUT = { timeout: 180_000 };

before(() => ensureBuilt());

/** Temp folders to remove at the end (the large fixture holds ~10 MB of CSV). */
const created: string[] = [];
after(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

function storage(): string {
  return track(fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-storage-')));
}

function track(dir: string): string {
  created.push(dir);
  return dir;
}

async function workspace(options?: Parameters<typeof buildServerWorkspace>[0]) {
  const ws = await buildServerWorkspace(options);
  track(ws.dir);
  return ws;
}

async function withServer<T>(folder: string, storagePath: string, run: (s: TestServer) => Promise<T>, extra: { trusted?: boolean } = {}): Promise<T> {
  const server = await startServer(folder, { storagePath, ...extra });
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

test('the server bundle does not contain TensorFlow; the worker bundle does', () => {
  assert.ok(fs.existsSync(SERVER_JS) && fs.existsSync(WORKER_JS));
  assert.ok(!fs.readFileSync(SERVER_JS, 'utf8').includes('@tensorflow/tfjs-core'), 'TensorFlow must load only in the audit worker');
  assert.ok(fs.readFileSync(WORKER_JS, 'utf8').includes('@tensorflow/tfjs-core'), 'the check above can find the name when it is there');
});

test('a bad manifest opened in the editor gets diagnostics with exact ranges, updated as the user types', TIMEOUT, async () => {
  const dir = track(fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-live-')));
  const file = path.join(dir, 'privacy-audit.json');
  const text = '{\n  "version": 2,\n  "audits": []\n}\n';
  fs.writeFileSync(file, text);
  await withServer(dir, storage(), async (server) => {
    const uri = pathToUri(file);
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'json', version: 1, text } });
    const ds = await server.waitForDiagnostics(file, (d) => d.some((x) => x.severity === DiagnosticSeverity.Error));
    const error = ds.find((d) => d.severity === DiagnosticSeverity.Error)!;
    assert.deepEqual(error.range, { start: { line: 1, character: 13 }, end: { line: 1, character: 14 } });
    assert.equal(error.source, 'model-privacy');
    assert.equal(error.code, 'invalid-input');
    assert.equal(error.codeDescription?.href, 'file:///extension/docs/rules.md#invalid-input');
    assert.match(error.message, /version/);
    const warning = ds.find((d) => d.severity === DiagnosticSeverity.Warning)!;
    assert.deepEqual(warning.range, { start: { line: 2, character: 12 }, end: { line: 2, character: 14 } });

    // Fix the version: after the debounce only the warning remains.
    await server.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 1, character: 13 }, end: { line: 1, character: 14 } }, text: '1' }],
    });
    const fixed = await server.waitForDiagnostics(file, (d) => !d.some((x) => x.severity === DiagnosticSeverity.Error));
    assert.equal(fixed.length, 1);
  });
});

test('an audit runs in the worker, reports progress, publishes findings on the manifest and model.json, then hits the cache', TIMEOUT, async () => {
  const ws = await workspace();
  const storagePath = storage();
  await withServer(ws.dir, storagePath, async (server) => {
    const progress: (WorkDoneProgressBegin | WorkDoneProgressReport)[] = [];
    const token = 'audit-progress-1';
    server.connection.onProgress(WorkDoneProgress.type, token, (v) => {
      if (v.kind !== 'end') progress.push(v);
    });
    const outcome = await server.connection.sendRequest(AuditRequest, { target: ws.manifest, workDoneToken: token });
    assert.equal(outcome.cancelled, false);
    assert.deepEqual(outcome.errors, [], server.logs.join('\n'));
    assert.deepEqual(outcome.fromCache, []);
    assert.equal(outcome.reportKey, ws.manifest);
    assert.deepEqual(outcome.summaries.map((s) => [s.audit, s.severity, s.stale, s.model, s.reportKey]), [['small', 'high', false, ws.model, ws.manifest]]);
    assert.ok(outcome.summaries[0]!.auc !== undefined && outcome.summaries[0]!.bestAttack !== undefined);

    const reports = progress.filter((p): p is WorkDoneProgressReport => p.kind === 'report');
    assert.ok(reports.some((p) => /^audit small: attack loss-threshold \(\d+\/3\)$/.test(p.message ?? '')), JSON.stringify(progress));
    assert.ok(reports.every((p) => p.percentage === undefined || (p.percentage >= 0 && p.percentage <= 100)));

    // Findings on the attack entries of the manifest (line 9 is "loss-threshold" in the fixture's pretty JSON).
    const manifestText = fs.readFileSync(ws.manifest, 'utf8');
    const ds = await server.waitForDiagnostics(ws.manifest, (d) => d.some((x) => x.code === 'membership-risk'));
    const risk = ds.find((d) => d.code === 'membership-risk' && (d.data as { attack?: string }).attack === 'loss-threshold')!;
    assert.equal(risk.severity, DiagnosticSeverity.Error);
    const lines = manifestText.split('\n');
    assert.equal(lines[risk.range.start.line]!.slice(risk.range.start.character, risk.range.end.character), '"loss-threshold"');
    assert.deepEqual(risk.data, { rule: 'membership-risk', audit: 'small', attack: 'loss-threshold' });
    assert.ok(risk.relatedInformation!.some((r) => r.location.uri === pathToUri(ws.members)));

    // Mirrored onto model.json, on its "modelTopology" key.
    const modelDs = await server.waitForDiagnostics(ws.model, (d) => d.some((x) => x.code === 'membership-risk'));
    const modelText = fs.readFileSync(ws.model, 'utf8');
    const at = modelText.indexOf('"modelTopology"');
    assert.deepEqual(modelDs[0]!.range, { start: { line: 0, character: at }, end: { line: 0, character: at + '"modelTopology"'.length } });

    const report = await server.connection.sendRequest(ReportRequest, { reportKey: ws.manifest });
    assert.equal(report?.audits[0]?.name, 'small');
    const status = await server.connection.sendRequest(StatusRequest);
    assert.equal(status.state, 'idle');
    assert.equal(status.backend, 'cpu');

    const again = await server.connection.sendRequest(AuditRequest, { target: ws.manifest });
    assert.deepEqual(again.fromCache, ['small']);
    assert.deepEqual(again.summaries, outcome.summaries);
  });

  // A new session shows the cached findings at once, without auditing.
  await withServer(ws.dir, storagePath, async (server) => {
    const ds = await server.waitForDiagnostics(ws.manifest, (d) => d.some((x) => x.code === 'membership-risk'));
    assert.ok(ds.every((d) => !d.message.startsWith(STALE_PREFIX)));
    const summaries = await server.connection.sendRequest(SummariesRequest);
    assert.deepEqual(summaries.map((s) => [s.audit, s.stale, s.reportKey]), [['small', false, ws.manifest]]);
  });

  // Data changed while the editor was closed: the findings come back marked stale.
  fs.appendFileSync(ws.members, '0.1,0.1,0.1,0.1,0.1,0.1,1\n');
  await withServer(ws.dir, storagePath, async (server) => {
    const ds = await server.waitForDiagnostics(ws.manifest, (d) => d.some((x) => x.code === 'membership-risk'));
    const risk = ds.filter((d) => d.code === 'membership-risk');
    assert.ok(risk.every((d) => d.message.startsWith(STALE_PREFIX) && d.severity === DiagnosticSeverity.Information), JSON.stringify(risk));
    const summaries = await server.connection.sendRequest(SummariesRequest);
    assert.deepEqual(summaries.map((s) => [s.audit, s.stale]), [['small', true]]);
  });
});

test('a bad dataset becomes a diagnostic on the manifest and an outcome error, not a crash', TIMEOUT, async () => {
  const ws = await workspace();
  fs.writeFileSync(path.join(ws.dir, 'data', 'nonmembers.csv'), 'f0,f1,f2,f3,f4,f5,label\n1,2,3,oops,5,6,1\n');
  await withServer(ws.dir, storage(), async (server) => {
    const outcome = await server.connection.sendRequest(AuditRequest, { target: ws.dir });
    assert.equal(outcome.errors.length, 1, JSON.stringify(outcome));
    assert.match(outcome.errors[0]!, /nonmembers\.csv:2/);
    const ds = await server.waitForDiagnostics(ws.manifest, (d) => d.some((x) => x.code === 'invalid-input'));
    const bad = ds.find((d) => d.code === 'invalid-input')!;
    const line = fs.readFileSync(ws.manifest, 'utf8').split('\n')[bad.range.start.line]!;
    assert.equal(line.slice(bad.range.start.character, bad.range.end.character), '"data/nonmembers.csv"');
    assert.equal((await server.connection.sendRequest(StatusRequest)).state, 'idle', 'the engine is fine; the input was not');
  });
});

test('inputs the model cannot have been trained on stop the audit: an outcome error and diagnostics on the manifest key, no attack numbers', TIMEOUT, async () => {
  // The scikit-learn-standardised MLP fed raw features: members at chance, one class predicted (issue 11).
  const fixtures = path.join(__dirname, '..', 'fixtures', 'plausibility');
  const dir = track(fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-implausible-')));
  for (const f of ['mlp-standardised.onnx', 'tabular-members.csv', 'tabular-nonmembers.csv']) fs.copyFileSync(path.join(fixtures, f), path.join(dir, f));
  const manifest = path.join(dir, 'privacy-audit.json');
  fs.writeFileSync(manifest, JSON.stringify({ version: 1, audits: [{
    name: 'tabular-raw', model: 'mlp-standardised.onnx', members: 'tabular-members.csv', nonMembers: 'tabular-nonmembers.csv', label: 'label', attacks: ['loss-threshold'],
  }] }, null, 2));
  await withServer(dir, storage(), async (server) => {
    const outcome = await server.connection.sendRequest(AuditRequest, { target: manifest });
    assert.ok(outcome.errors.some((e) => /no better than/.test(e) && /audit stops/.test(e)), JSON.stringify(outcome.errors));
    assert.deepEqual(outcome.summaries.flatMap((s) => (s.auc === undefined ? [] : [s.auc])), [], 'no attack numbers');
    const ds = await server.waitForDiagnostics(manifest, (d) => d.some((x) => x.code === 'accuracy-at-chance'));
    const stop = ds.find((d) => d.code === 'accuracy-at-chance')!;
    const line = fs.readFileSync(manifest, 'utf8').split('\n')[stop.range.start.line]!;
    assert.equal(line.slice(stop.range.start.character, stop.range.end.character), '"tabular-members.csv"');
  });
});

test('CancelAll during an audit answers cancelled within a second and keeps the audit already finished', TIMEOUT, async () => {
  const ws = await workspace({ largeRecords: 100_000 });
  await withServer(ws.dir, storage(), async (server) => {
    const token = 'audit-progress-cancel';
    let sawLarge!: () => void;
    const largeStarted = new Promise<void>((resolve) => (sawLarge = resolve));
    server.connection.onProgress(WorkDoneProgress.type, token, (v) => {
      if (v.kind === 'report' && v.message?.startsWith('audit large:')) sawLarge();
    });
    const pending = server.connection.sendRequest(AuditRequest, { target: ws.manifest, workDoneToken: token });
    await largeStarted;
    const cancelledAt = Date.now();
    await server.connection.sendNotification(CancelAllNotification);
    const outcome: AuditOutcome = await pending;
    const elapsed = Date.now() - cancelledAt;
    assert.equal(outcome.cancelled, true, JSON.stringify(outcome));
    assert.ok(elapsed < 1000, `answered ${elapsed} ms after the cancel`);
    assert.deepEqual(outcome.summaries.map((s) => s.audit), ['small'], 'the finished audit is kept');
    const ds = server.diagnostics.get(pathToUri(ws.manifest)) ?? [];
    assert.ok(ds.some((d) => (d.data as { audit?: string }).audit === 'small' && d.code === 'membership-risk'));
    assert.ok(!ds.some((d) => (d.data as { audit?: string }).audit === 'large'));

    // The server is still usable: the next request works (answered from the cache for "small").
    const next = await server.connection.sendRequest(AuditRequest, { target: ws.manifest, audits: ['small'] });
    assert.deepEqual(next.fromCache, ['small']);
  });
});

test('CancelAll while the audit worker is still starting answers within a second; the next audit runs on a fresh worker', TIMEOUT, async () => {
  const ws = await workspace();
  await withServer(ws.dir, storage(), async (server) => {
    const token = 'audit-progress-startup';
    const reports: string[] = [];
    server.connection.onProgress(WorkDoneProgress.type, token, (v) => {
      if (v.kind === 'report' && v.message) reports.push(v.message);
    });
    // "auditing" is announced just before the worker thread is created: it is loading now.
    let sawAuditing!: () => void;
    const auditing = new Promise<void>((resolve) => (sawAuditing = resolve));
    server.connection.onNotification(StatusNotification, (status) => {
      if (status.state === 'auditing') sawAuditing();
    });
    const pending = server.connection.sendRequest(AuditRequest, { target: ws.manifest, workDoneToken: token });
    await auditing;
    assert.deepEqual(reports.filter((m) => m.startsWith('audit small:')), [], 'the worker has not reported a stage yet');
    const cancelledAt = Date.now();
    await server.connection.sendNotification(CancelAllNotification);
    const outcome: AuditOutcome = await pending;
    const elapsed = Date.now() - cancelledAt;
    assert.equal(outcome.cancelled, true, JSON.stringify(outcome));
    assert.ok(elapsed < 1000, `answered ${elapsed} ms after the cancel`);
    assert.deepEqual(outcome.summaries, []);

    // At once, while the cancelled worker may still be loading: a new audit neither waits for nor uses it.
    const next = await server.connection.sendRequest(AuditRequest, { target: ws.manifest });
    assert.equal(next.cancelled, false);
    assert.deepEqual(next.errors, [], server.logs.join('\n'));
    assert.deepEqual(next.summaries.map((s) => s.audit), ['small']);
    assert.equal((await server.connection.sendRequest(StatusRequest)).state, 'idle');
  });
});

test('changed settings apply without a restart: default policy and sweep attacks at once, backend only after a restart', TIMEOUT, async () => {
  const ws = await workspace();
  // Without a manifest the model is audited under a proposal for its folder, judged by the default policy.
  fs.rmSync(ws.manifest);
  await withServer(ws.dir, storage(), async (server) => {
    const first = await server.connection.sendRequest(AuditRequest, { target: ws.model });
    assert.deepEqual(first.errors, [], server.logs.join('\n'));
    assert.equal(first.reportKey, ws.dir);
    assert.deepEqual(first.summaries.map((s) => [s.audit, s.reportKey, s.manifest]), [[first.summaries[0]!.audit, ws.dir, undefined]]);
    const attacksBefore = (await server.connection.sendRequest(ReportRequest, { reportKey: ws.dir }))!.audits[0]!.attacks.length;
    assert.ok(attacksBefore > 1, 'the engine\'s default attacks');

    const changed: EngineSettings = {
      backend: 'wasm', workers: 1, exclude: [], sweepAttacks: ['loss-threshold'], defaultPolicy: { maxTprAtFpr: 1, fpr: 0.001, maxAuc: 0 },
    };
    await server.connection.sendNotification(DidChangeEngineSettingsNotification, changed);
    // The policy is part of the proposal, so the filed result is stale now.
    await waitUntil(async () => (await server.connection.sendRequest(SummariesRequest)).every((s) => s.stale), 10_000);
    const proposal = await server.connection.sendRequest(ProposeManifestRequest, { folder: ws.dir });
    assert.match(proposal.text, /"metric": "auc",\s*"max": 0,/);

    const again = await server.connection.sendRequest(AuditRequest, { target: ws.model });
    assert.deepEqual(again.fromCache, [], 'the changed policy is a new cache key');
    assert.deepEqual(again.errors, [], server.logs.join('\n'));
    const report = await server.connection.sendRequest(ReportRequest, { reportKey: ws.dir });
    assert.deepEqual(report!.audits[0]!.attacks.map((a) => a.id), ['loss-threshold'], 'the new sweep attacks');
    assert.equal(again.summaries[0]!.severity, 'medium', 'judged by the new policy (any AUC above 0)');
    assert.equal((await server.connection.sendRequest(StatusRequest)).backend, 'cpu', 'the backend waits for a restart');
    assert.ok(server.logs.some((l) => /after a restart of the engine: backend/.test(l)), server.logs.join('\n'));
  });
});

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('in an untrusted workspace audits and sweeps are refused with a clear error; static scans still answer', TIMEOUT, async () => {
  const ws = await workspace();
  const pickle = path.join(ws.dir, 'downloads.pkl');
  fs.copyFileSync(path.resolve(__dirname, '../fixtures/scan/os-system-global.pkl'), pickle);
  await withServer(ws.dir, storage(), async (server) => {
    const refused = (e: unknown) => {
      assert.ok(e instanceof ResponseError);
      assert.match(e.message, /Restricted Mode/);
      return true;
    };
    await assert.rejects(server.connection.sendRequest(AuditRequest, { target: ws.manifest }), refused, 'audit refused');
    await assert.rejects(server.connection.sendRequest(SweepRequest, { targets: [ws.manifest] }), refused, 'sweep refused');
    // Validation still works there: it reads text, it runs nothing.
    assert.equal((await server.connection.sendRequest(StatusRequest)).state, 'idle');
    // So does the scan: it reads bytes, it loads nothing.
    const scan = await server.connection.sendRequest(ScanArtifactsRequest, { files: [pickle] });
    assert.deepEqual(scan.summaries.map((s) => [s.file, s.errors]), [[pickle, 1]], 'the malicious pickle is scanned');
    await waitUntil(async () => (server.diagnostics.get(pathToUri(pickle)) ?? []).some((d) => /imports os\.system at byte 0/.test(d.message)), 10_000);
  }, { trusted: false });
});

test('shadow models trained for an audit are cached in the extension storage, not in the workspace', TIMEOUT, async () => {
  const ws = await workspace();
  const storagePath = storage();
  const manifest = path.join(ws.dir, 'shadows', 'privacy-audit.json');
  fs.mkdirSync(path.dirname(manifest), { recursive: true });
  fs.writeFileSync(manifest, JSON.stringify({
    version: 1,
    audits: [{ name: 'lira', model: '../model/model.json', members: '../data/members.csv', nonMembers: '../data/nonmembers.csv', label: 'label', attacks: ['lira-offline'], shadow: { count: 4, epochs: 2, batchSize: 8, trainSize: 30 } }],
  }));
  await withServer(ws.dir, storagePath, async (server) => {
    const outcome = await server.connection.sendRequest(AuditRequest, { target: manifest });
    assert.deepEqual(outcome.errors, [], server.logs.join('\n'));
    const report = await server.connection.sendRequest(ReportRequest, { reportKey: outcome.reportKey });
    assert.deepEqual(report!.audits[0]!.errors, [], 'the LiRA attack ran');
  });
  assert.ok(fs.readdirSync(path.join(storagePath, 'shadows')).length > 0, 'shadow outputs cached under the storage path');
  assert.equal(fs.existsSync(path.join(ws.dir, 'shadows', '.privacy-lint-cache')), false, 'nothing written beside the manifest');
});
