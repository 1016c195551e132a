/**
 * The progressive audit through the built server over IPC (as VS Code runs it): an audit
 * with population data and the default attacks first publishes its threshold attacks'
 * verdict, marked preliminary (diagnostics, summaries, status, progress text, report),
 * then the final one from the shadow-model attacks replaces it. A preliminary result is
 * never cached: a cancel keeps it shown, a re-run recomputes. Plus the pure pieces:
 * which audits modelPrivacy.shadowModels applies to, the diagnostics' prefix.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkDoneProgress, type Diagnostic } from 'vscode-languageserver-protocol/node';
import {
  AuditRequest,
  CancelAllNotification,
  DidChangeEngineSettingsNotification,
  ReportRequest,
  ResultsChangedNotification,
  StatusNotification,
  SummariesRequest,
  type AuditSummary,
  type EngineSettings,
  type EngineStatus,
} from '../../src/shared/protocol';
import { PRELIMINARY_PREFIX, reportDiagnostics } from '../../src/server/diagnostics';
import { DEFAULT_SHADOW_MODELS, shadowCountFor } from '../../src/server/shadow-count';
import { summarize } from '../../src/server/summaries';
import { progressReport } from '../../src/server/progress-message';
import { DEFAULT_REFERENCE_SHADOW_COUNT, parseManifest } from '../../src/engine/manifest';
import type { AuditReport } from '../../src/engine/report/schema';
import { isFastAttack } from '../../src/engine/attacks/catalog';
import { pathToUri } from '../../src/server/uris';
import { buildServerWorkspace, CLASSES, FEATURES } from '../fixtures/server/workspace';
import { ensureBuilt, startServer, type TestServer } from '../fixtures/server/server-client';

const TIMEOUT = { timeout: 240_000 };
const created: string[] = [];
after(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});
before(() => ensureBuilt());

function settings(shadowModels: number): EngineSettings {
  return { backend: 'cpu', workers: 1, sweepAttacks: [], shadowModels, defaultPolicy: { maxTprAtFpr: 0.01, fpr: 0.001, maxAuc: 0.6 }, exclude: [] };
}

/** Deterministic CSV rows, as the server workspace fixture writes them. */
function writeCsv(file: string, n: number, seed: number): void {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
  const lines = [[...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',')];
  for (let i = 0; i < n; i++) lines.push([...Array.from({ length: FEATURES }, () => (rand() * 2 - 1).toFixed(5)), Math.floor(rand() * CLASSES)].join(','));
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/**
 * The fixture's model and data plus population records, under a manifest that lists no
 * attacks (so the engine's defaults, shadow-model attacks included, run). `shadow` sets
 * the training (small, so the test is quick; `epochs` large makes the shadow phase slow).
 */
async function progressiveWorkspace(shadow: Record<string, unknown>, populationRecords = 200) {
  const ws = await buildServerWorkspace();
  created.push(ws.dir);
  writeCsv(path.join(ws.dir, 'data', 'population.csv'), populationRecords, 7);
  const policy = { rules: [{ metric: 'auc', max: 0.01, severity: 'high' }] };
  fs.writeFileSync(ws.manifest, `${JSON.stringify({
    version: 1,
    audits: [{ name: 'progressive', model: 'model/model.json', members: 'data/members.csv', nonMembers: 'data/nonmembers.csv', population: 'data/population.csv', label: 'label', policy, shadow }],
  }, null, 2)}\n`);
  return ws;
}

async function withServer<T>(folder: string, shadowModels: number, run: (s: TestServer) => Promise<T>, storagePath?: string): Promise<T> {
  const storage = storagePath ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-storage-'));
  if (!storagePath) created.push(storage);
  const server = await startServer(folder, { storagePath: storage, settings: settings(shadowModels) });
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

const preliminaryDiagnostic = (d: Diagnostic) => d.message.startsWith(PRELIMINARY_PREFIX);

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the threshold verdict is published first, marked preliminary everywhere, and the final one from shadow-model attacks replaces it', TIMEOUT, async () => {
  const ws = await progressiveWorkspace({ epochs: 3, batchSize: 16 });
  await withServer(ws.dir, 3, async (server) => {
    // Every diagnostics publication on the manifest and every summaries notification, in order
    // (this handler replaces the harness's, so server.diagnostics stays empty here).
    const published: Diagnostic[][] = [];
    server.connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
      if (p.uri === pathToUri(ws.manifest)) published.push(p.diagnostics);
    });
    const announced: AuditSummary[][] = [];
    server.connection.onNotification(ResultsChangedNotification, ({ summaries }) => announced.push(summaries));
    const statuses: EngineStatus[] = [];
    server.connection.onNotification(StatusNotification, (s) => statuses.push(s));
    const messages: string[] = [];
    const token = 'progressive-1';
    server.connection.onProgress(WorkDoneProgress.type, token, (v) => {
      if (v.kind === 'report' && v.message) messages.push(v.message);
    });

    const outcome = await server.connection.sendRequest(AuditRequest, { target: ws.manifest, workDoneToken: token });
    assert.deepEqual(outcome.errors, [], server.logs.join('\n'));
    assert.equal(outcome.cancelled, false);

    // First the preliminary verdict: threshold findings with the prefix, and the engine's
    // threshold-only-audit note naming the attacks still running.
    const firstPreliminary = published.findIndex((ds) => ds.some(preliminaryDiagnostic));
    assert.ok(firstPreliminary >= 0, `no preliminary diagnostics among ${published.length} publications`);
    const early = published[firstPreliminary]!;
    const note = early.find((d) => d.code === 'threshold-only-audit');
    assert.match(note?.message ?? '', /^Preliminary: .*rmia.*still running/, JSON.stringify(early));
    const earlyRisk = early.filter((d) => d.code === 'membership-risk');
    assert.ok(earlyRisk.length > 0 && earlyRisk.every(preliminaryDiagnostic), JSON.stringify(early));
    assert.ok(earlyRisk.every((d) => isFastAttack((d.data as { attack?: string }).attack ?? '')), 'only threshold attacks before the final result');

    // Then the final one: no prefix, shadow-model attacks among the findings.
    assert.ok(published.length - 1 > firstPreliminary);
    const final = published.at(-1)!;
    assert.ok(!final.some(preliminaryDiagnostic), JSON.stringify(final));
    assert.ok(!final.some((d) => d.code === 'threshold-only-audit'), 'the final verdict rests on reference-model attacks');
    assert.ok(final.some((d) => d.code === 'membership-risk' && (d.data as { attack?: string }).attack === 'rmia'), JSON.stringify(final));

    // Summaries: preliminary first, then final; status carried the preliminary verdict while running.
    const flags = announced.map((ss) => ss.find((s) => s.audit === 'progressive')?.preliminary === true);
    assert.ok(flags.indexOf(true) >= 0 && flags.lastIndexOf(false) > flags.indexOf(true), JSON.stringify(flags));
    assert.equal(outcome.summaries[0]!.preliminary, undefined);
    assert.ok(statuses.some((s) => s.state === 'auditing' && s.preliminary?.[0]?.audit === 'progressive' && s.preliminary[0].preliminary === true), JSON.stringify(statuses));
    assert.equal(statuses.at(-1)!.preliminary, undefined, 'nothing preliminary once the job ended');
    assert.equal(statuses.at(-1)!.lastSummary?.preliminary, undefined);

    // Progress says the verdict is preliminary while the shadow models train.
    assert.ok(messages.some((m) => /^audit progressive: preliminary: shadow models \d\/3/.test(m)), messages.join('\n'));
    assert.ok(!messages.some((m) => /^audit progressive: preliminary: attack loss-threshold/.test(m)), 'not before the threshold attacks are done');

    // The report: final, on the setting's 3 reference models.
    const report = await server.connection.sendRequest(ReportRequest, { reportKey: ws.manifest });
    const result = report!.audits[0]!;
    assert.equal(result.preliminary, undefined);
    assert.equal(result.basis?.referenceModels, 3, 'modelPrivacy.shadowModels applies: no attacks and no shadow.count in the manifest');
    assert.ok(result.attacks.some((a) => a.id === 'rmia') && result.attacks.some((a) => a.id === 'loss-threshold'));

    const again = await server.connection.sendRequest(AuditRequest, { target: ws.manifest });
    assert.deepEqual(again.fromCache, ['progressive'], 'the final result is cached');

    // A changed modelPrivacy.shadowModels applies at once: the result is stale, the re-run trains 2.
    await server.connection.sendNotification(DidChangeEngineSettingsNotification, settings(2));
    await waitUntil(async () => (await server.connection.sendRequest(SummariesRequest)).every((s) => s.stale), 10_000);
    const fewer = await server.connection.sendRequest(AuditRequest, { target: ws.manifest });
    assert.deepEqual(fewer.fromCache, [], 'the shadow count is part of the cache key');
    assert.deepEqual(fewer.errors, [], server.logs.join('\n'));
    assert.equal((await server.connection.sendRequest(ReportRequest, { reportKey: ws.manifest }))!.audits[0]!.basis?.referenceModels, 2);
  });
});

test('a cancel after the preliminary result keeps it shown, marked, and uncached; the re-run recomputes', TIMEOUT, async () => {
  // Many epochs on many population records: the shadow phase takes far longer than the cancel.
  const ws = await progressiveWorkspace({ epochs: 400, batchSize: 8 }, 2000);
  const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-storage-'));
  created.push(storagePath);
  await withServer(ws.dir, 4, async (server) => {
    const token = 'progressive-cancel';
    let sawPreliminary!: () => void;
    const preliminary = new Promise<void>((resolve) => (sawPreliminary = resolve));
    server.connection.onProgress(WorkDoneProgress.type, token, (v) => {
      if (v.kind === 'report' && v.message?.startsWith('audit progressive: preliminary:')) sawPreliminary();
    });
    const pending = server.connection.sendRequest(AuditRequest, { target: ws.manifest, workDoneToken: token });
    await preliminary;
    await server.connection.sendNotification(CancelAllNotification);
    const outcome = await pending;
    assert.equal(outcome.cancelled, true, JSON.stringify(outcome));
    assert.deepEqual(outcome.summaries.map((s) => [s.audit, s.preliminary]), [['progressive', true]], 'the preliminary verdict is kept');
    const ds = server.diagnostics.get(pathToUri(ws.manifest)) ?? [];
    assert.ok(ds.some((d) => d.code === 'membership-risk' && preliminaryDiagnostic(d)), JSON.stringify(ds));
    const summaries = await server.connection.sendRequest(SummariesRequest);
    assert.equal(summaries[0]!.preliminary, true);
    const report = await server.connection.sendRequest(ReportRequest, { reportKey: ws.manifest });
    assert.equal(report!.audits[0]!.preliminary, true);
    // Nothing preliminary reaches the disk cache.
    const filed = fs.readdirSync(storagePath, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json') && !f.startsWith('shadows'));
    assert.ok(filed.every((f) => !fs.readFileSync(path.join(storagePath, f), 'utf8').includes('"preliminary":true')), filed.join(', '));

    // A re-run does not take the preliminary result for a cached one; cancelled again at once.
    const rerun = server.connection.sendRequest(AuditRequest, { target: ws.manifest });
    await new Promise((r) => setTimeout(r, 300));
    await server.connection.sendNotification(CancelAllNotification);
    const second = await rerun;
    assert.deepEqual(second.fromCache, [], 'recomputed, not answered from the cache');
  }, storagePath);

  // A new session knows nothing of the preliminary result.
  await withServer(ws.dir, 4, async (server) => {
    assert.deepEqual(await server.connection.sendRequest(SummariesRequest), []);
  }, storagePath);
});

test('modelPrivacy.shadowModels applies only to audits with the default attacks and no shadow.count', () => {
  assert.equal(DEFAULT_SHADOW_MODELS, DEFAULT_REFERENCE_SHADOW_COUNT, 'the setting\'s default is the engine\'s');
  const audit = (extra: Record<string, unknown>) => ({ name: 'a', model: 'm/model.json', members: 'a.csv', nonMembers: 'b.csv', population: 'p.csv', label: 'label', ...extra });
  const text = JSON.stringify({ version: 1, audits: [audit({}), audit({ name: 'b', shadow: { count: 32 } }), audit({ name: 'c', attacks: ['rmia'] }), audit({ name: 'd', shadow: { epochs: 5 } })] });
  const parsed = parseManifest(text, '/ws/privacy-audit.json', { fileExists: () => true });
  assert.deepEqual(parsed.problems.filter((p) => p.severity === 'error'), []);
  const manifest = parsed.manifest!;
  assert.deepEqual(manifest.audits.map((a) => shadowCountFor(a, text, 12)), [12, undefined, undefined, 12]);
  assert.deepEqual(manifest.audits.map((a) => shadowCountFor(a, text, undefined)), [undefined, undefined, undefined, undefined]);
  assert.deepEqual(manifest.audits.map((a) => a.shadow.count), [8, 32, 16, 8], 'what the engine uses without the setting');
});

test('findings of a preliminary result carry the prefix (after a stale one); its summary and progress say preliminary', () => {
  const finding = (rule: 'membership-risk' | 'threshold-only-audit', message: string) => ({
    rule, severity: rule === 'membership-risk' ? 'high' as const : 'info' as const, audit: 'mlp', message, location: { file: 'privacy-audit.json' }, related: [],
  });
  const report = {
    schemaVersion: '1', root: '/ws', manifest: 'privacy-audit.json', backend: 'cpu', createdAt: '', toolVersion: '0',
    audits: [{ name: 'mlp', model: 'm/model.json', preliminary: true, attacks: [] }],
    findings: [finding('membership-risk', 'AUC 0.7'), finding('threshold-only-audit', 'Preliminary: rmia still running')],
  } as unknown as AuditReport;
  const messages = (stale: Set<string>) => [...reportDiagnostics(report, { staleAudits: stale }).values()].flatMap((f) => f.diagnostics.map((d) => d.message));
  // The risk finding is mirrored onto the model.json, prefix included.
  assert.deepEqual(messages(new Set()), [`${PRELIMINARY_PREFIX}AUC 0.7`, 'Preliminary: rmia still running', `audit "mlp": ${PRELIMINARY_PREFIX}AUC 0.7`]);
  assert.match(messages(new Set(['mlp']))[0]!, /^\[stale: inputs changed since this audit\] \[preliminary: threshold attacks only\] AUC 0\.7$/);
  const final = { ...report, audits: [{ ...report.audits[0]!, preliminary: undefined }] } as AuditReport;
  assert.deepEqual([...reportDiagnostics(final).values()].flatMap((f) => f.diagnostics.map((d) => d.message))[0], 'AUC 0.7');

  assert.equal(summarize(report, { reportKey: '/ws/privacy-audit.json', staleAudits: new Set() })[0]!.preliminary, true);
  assert.equal(summarize(final, { reportKey: '/ws/privacy-audit.json', staleAudits: new Set() })[0]!.preliminary, undefined);
  const progress = { audit: 'mlp', stage: 'shadow models 3/8, 900 samples/s, 4 s left', done: 3, total: 8 };
  assert.equal(progressReport(progress, { index: 0, count: 1 }, { preliminary: true }).message, 'audit mlp: preliminary: shadow models 3/8, 900 samples/s, 4 s left (3/8)');
  assert.equal(progressReport(progress, { index: 0, count: 1 }).message, 'audit mlp: shadow models 3/8, 900 samples/s, 4 s left (3/8)');
});
