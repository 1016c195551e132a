import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auditTarget, CancelledError, sweepWorkspace, type AuditOptions, type SweepAuditFunction } from '../../src/engine/audit';
import type { AuditReport, AuditResult } from '../../src/engine/report';
import { buildModelZoo, zooModelName } from '../helpers/model-zoo';

const ROOT = path.resolve(__dirname, '../..');
const MODELS = 12;
let base: string;
let zoo: string;
let zooManifests: string[];

before(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-sweep-'));
  zoo = path.join(base, 'zoo');
  zooManifests = await buildModelZoo(zoo, { models: MODELS, rows: 100, backend: 'wasm' });
});

after(() => fs.rmSync(base, { recursive: true, force: true }));

/** A fresh copy of the zoo, so a test can break or add manifests without touching the others. */
function copyZoo(name: string): string {
  const dir = path.join(base, name);
  fs.cpSync(zoo, dir, { recursive: true });
  return dir;
}

const realAudit: SweepAuditFunction = (file, options) => auditTarget(file, { ...options, backend: 'wasm', workers: 1 });

/** Wraps an audit function to count calls per manifest and the audits in flight at once. */
function instrument(audit: SweepAuditFunction) {
  const calls = new Map<string, number>();
  const stats = { inFlight: 0, maxInFlight: 0 };
  const wrapped: SweepAuditFunction = async (file, options) => {
    calls.set(file, (calls.get(file) ?? 0) + 1);
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      return await audit(file, options);
    } finally {
      stats.inFlight--;
    }
  };
  return { calls, stats, audit: wrapped };
}


/** A stand-in audit that takes `ms` and honours cancellation like the engine's. */
function slowAudit(ms: (file: string) => number): SweepAuditFunction {
  return async (file: string, options: AuditOptions): Promise<AuditReport> => {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(new CancelledError());
      };
      const timer = setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms(file));
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    return { schemaVersion: '1.0.0', tool: { name: 'privacy-lint', version: 'test' }, createdAt: '', backend: 'cpu', manifest: 'privacy-audit.json', root: path.dirname(file), audits: [], findings: [] };
  };
}

test('a sweep audits every manifest exactly once, with at most `concurrency` in flight, and streams full reports while keeping summaries', { timeout: 60_000 }, async () => {
  const probe = instrument(realAudit);
  const streamed: { manifest: string; report: AuditReport }[] = [];
  const result = await sweepWorkspace(zoo, {
    concurrency: 2,
    audit: probe.audit,
    onManifestDone: (entry, report) => {
      streamed.push({ manifest: entry.manifest, report });
    },
  });
  assert.equal(result.found, MODELS, 'every zoo manifest is found');
  assert.deepEqual([...probe.calls.keys()].sort(), [...zooManifests].sort(), 'the manifests audited are exactly the zoo\'s');
  for (const [file, n] of probe.calls) assert.equal(n, 1, `${file} audited ${n} times, expected once`);
  assert.ok(probe.stats.maxInFlight <= 2, `at most 2 audits in flight, saw ${probe.stats.maxInFlight}`);
  assert.equal(result.cancelled, false, 'not cancelled');
  assert.deepEqual(result.entries.map((e) => e.manifest), zooManifests.map((_, m) => `${zooModelName(m)}/privacy-audit.json`), 'entries in path order, relative to the root');
  for (const [m, entry] of result.entries.entries()) {
    assert.equal(entry.status, 'audited', `${entry.manifest} audited`);
    assert.equal(entry.audits.length, 1, `${entry.manifest} has its one audit`);
    assert.equal(entry.audits[0].name, zooModelName(m), `${entry.manifest}: audit name`);
    assert.equal(entry.audits[0].model, `${zooModelName(m)}/model/model.json`, `${entry.manifest}: model path rebased onto the sweep root`);
    assert.equal(entry.audits[0].members, 100, `${entry.manifest}: member count`);
    assert.equal(entry.report, undefined, `${entry.manifest}: full report not kept without keepReports`);
    for (const f of entry.findings) assert.ok(f.location.file.startsWith(`${zooModelName(m)}/`), `finding location ${f.location.file} rebased onto the sweep root`);
  }
  assert.equal(streamed.length, MODELS, 'every finished report streamed once');
  for (const { manifest, report } of streamed) {
    const audit = report.audits[0];
    assert.equal(audit.attacks.length, 3, `${manifest}: streamed report has all three attacks`);
    const best = audit.attacks.reduce((a, b) => (b.metrics.auc > a.metrics.auc ? b : a));
    const kept = result.entries.find((e) => e.manifest === manifest)!.audits[0];
    assert.equal(kept.bestAttack, best.id, `${manifest}: summary names the strongest attack`);
    assert.equal(kept.auc, best.metrics.auc, `${manifest}: summary AUC equals the report's`);
    assert.ok(audit.attacks[0].metrics.roc.length > 10, `${manifest}: streamed report carries the ROC curve`);
  }
  // What the sweep holds is far smaller than what it streamed: no ROC curves or histograms.
  const kept = JSON.stringify(result).length;
  const full = streamed.reduce((n, s) => n + JSON.stringify(s.report).length, 0);
  assert.ok(kept * 10 < full, `kept ${kept} bytes vs ${full} bytes of full reports`);
  assert.ok(!JSON.stringify(result).includes('"roc"'), 'no ROC curve kept');
});

test('the bound holds exactly: concurrency 3 runs 3 at once, concurrency 1 one at a time', { timeout: 30_000 }, async () => {
  for (const concurrency of [1, 3]) {
    const probe = instrument(slowAudit((file) => 5 + (zooManifests.indexOf(file) % 4) * 7));
    const result = await sweepWorkspace(zoo, { concurrency, audit: probe.audit });
    assert.equal(probe.stats.maxInFlight, concurrency, `concurrency ${concurrency}: max in flight ${probe.stats.maxInFlight}`);
    assert.equal(probe.calls.size, MODELS, `concurrency ${concurrency}: every manifest called`);
    assert.ok([...probe.calls.values()].every((n) => n === 1), `concurrency ${concurrency}: each called once`);
    assert.ok(result.entries.every((e) => e.status === 'audited'), `concurrency ${concurrency}: all audited`);
  }
});

test('excluded folders are not searched and the cap is stated in a finding', { timeout: 30_000 }, async () => {
  const dir = copyZoo('excluded');
  for (const skipped of ['node_modules/pkg', '.git/x', '.privacy-lint-cache/shadows', 'privacy-report/old', 'nested/privacy-report']) {
    fs.mkdirSync(path.join(dir, skipped), { recursive: true });
    fs.copyFileSync(zooManifests[0], path.join(dir, skipped, 'privacy-audit.json'));
  }
  const probe = instrument(slowAudit(() => 1));
  const all = await sweepWorkspace(dir, { audit: probe.audit });
  assert.equal(all.found, MODELS, `only the zoo's manifests are found, got ${all.entries.map((e) => e.manifest).join(', ')}`);
  assert.equal(all.findings.length, 0, 'no cap finding under the cap');

  const custom = await sweepWorkspace(dir, { audit: slowAudit(() => 1), exclude: ['node_modules'] });
  assert.equal(custom.found, MODELS + 3, 'a custom exclude list replaces the default one (.git stays skipped by the walk)');

  const capped = await sweepWorkspace(dir, { audit: slowAudit(() => 1), maxManifests: 5 });
  assert.equal(capped.found, MODELS, 'found counts every manifest');
  assert.equal(capped.entries.length, 5, 'only the first 5 are taken');
  assert.equal(capped.findings.length, 1, 'one cap finding');
  const [cap] = capped.findings;
  assert.equal(cap.rule, 'invalid-input', 'the cap is an input problem');
  assert.equal(cap.severity, 'high', 'the cap fails the run');
  assert.match(cap.message, /found 12 privacy-audit\.json files, more than the sweep's limit of 5: .*skipped 7, from model-05\/privacy-audit\.json on/, 'the message states the numbers and the first skipped manifest');

  await assert.rejects(sweepWorkspace(path.join(dir, 'node_modules'), { audit: slowAudit(() => 1), exclude: ['pkg'] }), /no privacy-audit\.json under this folder/, 'nothing to sweep is an input error');
  await assert.rejects(sweepWorkspace(path.join(dir, 'missing')), /missing: no such folder/, 'a missing folder is an input error');
  await assert.rejects(sweepWorkspace(dir, { concurrency: 0 }), /concurrency must be a whole number >= 1, found 0/, 'concurrency 0 is refused');
});

test('a manifest search cut short by its depth or entry bound says so in findings instead of missing manifests silently', { timeout: 30_000 }, async () => {
  const dir = copyZoo('bounded');
  // Nine folder levels down: one deeper than the search enters.
  const deep = path.join(dir, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i');
  fs.mkdirSync(deep, { recursive: true });
  fs.copyFileSync(zooManifests[0]!, path.join(deep, 'privacy-audit.json'));
  const deepSweep = await sweepWorkspace(dir, { audit: slowAudit(() => 1) });
  assert.equal(deepSweep.found, MODELS, 'the deep manifest is not found');
  assert.equal(deepSweep.findings.length, 1, `one finding: ${deepSweep.findings.map((f) => f.message).join('\n')}`);
  assert.equal(deepSweep.findings[0]!.severity, 'medium', 'unsearched folders are a warning');
  assert.match(deepSweep.findings[0]!.message, /^1 folder lies deeper than 8 levels and was not searched for privacy-audit\.json: a\/b\/c\/d\/e\/f\/g\/h\/i\. Sweep a deeper folder/, 'names the folder, relative to the root');
  const deeper = await sweepWorkspace(path.join(dir, 'a'), { audit: slowAudit(() => 1) });
  assert.equal(deeper.found, 1, 'sweeping a deeper folder finds it');
  assert.equal(deeper.findings.length, 0, 'and the search is complete');

  // The zoo's folders hold a few files each: 20 entries run out before the 12 model folders are done.
  const limited = await sweepWorkspace(dir, { audit: slowAudit(() => 1), maxEntries: 20 });
  assert.ok(limited.found < MODELS, `fewer manifests found (${limited.found})`);
  const stop = limited.findings.find((f) => /stopped after looking at 20 folder entries/.test(f.message));
  assert.ok(stop, `entry-limit finding among: ${limited.findings.map((f) => f.message).join('\n')}`);
  assert.equal(stop.severity, 'high', 'an incomplete sweep fails the run like the manifest cap');
  await assert.rejects(sweepWorkspace(dir, { audit: slowAudit(() => 1), maxEntries: Number.NaN }), /maxEntries must be a whole number >= 1, found NaN/, 'NaN would walk without bound: refused');
  // A Python virtualenv would spend the entry budget: it is skipped like node_modules.
  fs.mkdirSync(path.join(dir, '.venv', 'lib', 'site-packages'), { recursive: true });
  for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(dir, '.venv', 'lib', 'site-packages', `m${i}.py`), '');
  assert.equal((await sweepWorkspace(dir, { audit: slowAudit(() => 1), maxEntries: 400 })).found, MODELS, '.venv is not searched');
  await assert.rejects(sweepWorkspace(dir, { audit: slowAudit(() => 1), maxEntries: 1 }), /no privacy-audit\.json under this folder .*; the search for privacy-audit\.json stopped after looking at 1 folder entries/, 'nothing found and the search cut short: the error says why');
});

test('a broken manifest, a missing model and a crashing audit become findings while the rest complete', { timeout: 60_000 }, async () => {
  const dir = copyZoo('broken');
  fs.writeFileSync(path.join(dir, zooModelName(2), 'privacy-audit.json'), '{"version": 1, "audits": [');
  fs.rmSync(path.join(dir, zooModelName(5), 'model'), { recursive: true });
  const crashing = path.join(dir, zooModelName(8), 'privacy-audit.json');
  const probe = instrument((file, options) => (file === crashing ? Promise.reject(new Error('simulated engine bug')) : realAudit(file, options)));
  const result = await sweepWorkspace(dir, { concurrency: 2, audit: probe.audit });
  assert.equal(probe.calls.size, MODELS, 'every manifest was attempted');
  const byName = new Map(result.entries.map((e) => [e.manifest.split('/')[0], e]));

  const unparsable = byName.get(zooModelName(2))!;
  assert.equal(unparsable.audits.length, 0, 'the unparsable manifest has no audit');
  assert.ok(unparsable.findings.some((f) => f.rule === 'invalid-input' && f.severity === 'high' && f.location.file === `${zooModelName(2)}/privacy-audit.json`), `unparsable manifest reported on its file: ${JSON.stringify(unparsable.findings)}`);

  const noModel = byName.get(zooModelName(5))!;
  assert.equal(noModel.audits.length, 0, 'the audit without a model has no result');
  assert.ok(noModel.findings.some((f) => f.rule === 'invalid-input' && f.severity === 'high' && f.location.file === `${zooModelName(5)}/privacy-audit.json` && /expected an existing model file/.test(f.message)), `missing model reported on its manifest: ${JSON.stringify(noModel.findings)}`);

  const crashed = byName.get(zooModelName(8))!;
  assert.equal(crashed.status, 'failed', 'a throwing audit is marked failed');
  assert.equal(crashed.findings.length, 1, 'one finding for the crash');
  assert.match(crashed.findings[0].message, /internal error: simulated engine bug/, 'the crash message is kept');
  assert.equal(crashed.findings[0].location.file, `${zooModelName(8)}/privacy-audit.json`, 'the crash is reported on the manifest');

  const healthy = result.entries.filter((e) => ![2, 5, 8].map(zooModelName).includes(e.manifest.split('/')[0]));
  assert.equal(healthy.length, MODELS - 3, 'nine healthy manifests');
  for (const e of healthy) {
    assert.equal(e.status, 'audited', `${e.manifest} audited`);
    assert.equal(e.audits.length, 1, `${e.manifest} has its result`);
    assert.ok(!e.findings.some((f) => f.rule === 'invalid-input'), `${e.manifest} has no input problem`);
  }
});

test('cancelling keeps the finished manifests, marks the rest cancelled and starts no more', { timeout: 60_000 }, async () => {
  // Real audits, one at a time: cancel after the third.
  const controller = new AbortController();
  const probe = instrument(realAudit);
  let done = 0;
  const result = await sweepWorkspace(zoo, {
    audit: probe.audit,
    signal: controller.signal,
    onManifestDone: () => {
      if (++done === 3) controller.abort();
    },
  });
  assert.equal(result.cancelled, true, 'the result says cancelled');
  assert.equal(probe.calls.size, 3, `no audit started after the cancel, started ${probe.calls.size}`);
  assert.deepEqual(result.entries.map((e) => e.status), [...Array(3).fill('audited'), ...Array(MODELS - 3).fill('cancelled')], 'finished kept, queued cancelled');
  assert.ok(result.entries.slice(0, 3).every((e) => e.audits.length === 1 && e.audits[0].auc !== undefined), 'the finished ones keep their results');
  const sample: AuditResult = (await realAudit(zooManifests[0], {})).audits[0];

  // In flight when cancelled: stopped, keeping the audits it finished before.
  const midway: SweepAuditFunction = async (file, options) => {
    options.onAuditDone?.(sample);
    return slowAudit(() => 10_000)(file, options);
  };
  const inner = new AbortController();
  setTimeout(() => inner.abort(), 100);
  const started = Date.now();
  const stopped = await sweepWorkspace(zoo, { concurrency: 2, audit: midway, signal: inner.signal });
  assert.ok(Date.now() - started < 5_000, 'the running audits stop at the cancel, not after their 10 s');
  assert.deepEqual(stopped.entries.map((e) => e.status), Array(MODELS).fill('cancelled'), 'all cancelled');
  assert.deepEqual(stopped.entries.map((e) => e.audits.length), [1, 1, ...Array(MODELS - 2).fill(0)], 'the two in flight keep the audit they finished');

  const already = new AbortController();
  already.abort();
  const none = instrument(slowAudit(() => 1));
  const early = await sweepWorkspace(zoo, { audit: none.audit, signal: already.signal });
  assert.equal(none.calls.size, 0, 'an already-aborted signal starts nothing');
  assert.equal(early.cancelled, true, 'and reports cancelled');
});

test('a failing report callback stops the queue and rejects the sweep', { timeout: 30_000 }, async () => {
  const probe = instrument(slowAudit(() => 5));
  await assert.rejects(
    sweepWorkspace(zoo, { audit: probe.audit, onManifestDone: (entry) => {
      if (entry.manifest.startsWith(zooModelName(1))) throw new Error('disk full');
    } }),
    /disk full/,
    'the callback\'s error comes out of the sweep',
  );
  assert.equal(probe.calls.size, 2, `no audit started after the failing callback, started ${probe.calls.size}`);
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('privacy-lint sweep writes one combined JSON, SARIF and text report and exits like audit', { timeout: 60_000 }, async () => {
  const dir = path.join(base, 'cli-zoo');
  const manifests = await buildModelZoo(dir, { models: 4, rows: 100, backend: 'wasm' });
  const out = path.join(base, 'cli-out');

  // Clean zoo, JSON on stdout: the exit code follows --fail-on over the findings it printed.
  const clean = cli(['sweep', dir, '--format', 'json', '--fail-on', 'low', '--backend', 'wasm', '--workers', '1', '--concurrency', '2']);
  const reports = JSON.parse(clean.stdout) as AuditReport[];
  assert.ok(Array.isArray(reports) && reports.length === 4, `a list of 4 reports: ${clean.stderr}`);
  assert.deepEqual(reports.map((r) => path.join(r.root, r.manifest!)).sort(), manifests, 'one report per manifest');
  const anyLow = reports.some((r) => r.findings.length > 0);
  assert.equal(clean.code, anyLow ? 1 : 0, `exit ${clean.code} with --fail-on low, findings present: ${anyLow}`);
  assert.equal((clean.stderr.match(/^\[\d\/4\] model-\d\d\/privacy-audit\.json: audited/gm) ?? []).length, 4, `one progress line per manifest: ${clean.stderr}`);

  // Broken manifest: input error exit 2, every format written, the others still reported.
  fs.mkdirSync(path.join(dir, 'broken'));
  fs.writeFileSync(path.join(dir, 'broken', 'privacy-audit.json'), '{"version": 1, "audits": [{"name": "b", "modle": "m.json"}]}');
  const r = cli(['sweep', dir, '--format', 'json,sarif,text', '--out', out, '--fail-on', 'never', '--backend', 'wasm', '--workers', '1']);
  assert.equal(r.code, 2, `a broken manifest is an input error: ${r.stderr}`);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as AuditReport[];
  assert.equal(json.length, 5, 'five per-manifest reports');
  assert.equal(json.filter((rep) => rep.audits.length === 1).length, 4, 'the four models audited');
  assert.ok(json.every((rep) => rep.schemaVersion === '1.0.0'), 'each item is a full report');
  const sarif = JSON.parse(fs.readFileSync(path.join(out, 'sweep.sarif'), 'utf8'));
  assert.equal(sarif.runs.length, 1, 'one SARIF run');
  const results = sarif.runs[0].results as { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri?: string; index?: number } } }[] }[];
  const findings = json.reduce((n, rep) => n + rep.findings.length, 0);
  assert.equal(results.length, findings, `SARIF holds every finding of every manifest (${results.length} vs ${findings})`);
  const artifacts = sarif.runs[0].artifacts as { location: { uri: string } }[];
  const uriOf = (res: (typeof results)[number]) => {
    const loc = res.locations[0].physicalLocation.artifactLocation;
    return loc.uri ?? artifacts[loc.index!].location.uri;
  };
  assert.ok(results.some((res) => res.ruleId === 'MPL010' && uriOf(res) === 'broken/privacy-audit.json'), `the broken manifest located relative to the sweep root: ${JSON.stringify(results.map(uriOf))}`);
  const text = fs.readFileSync(path.join(out, 'sweep.txt'), 'utf8');
  for (const m of [0, 1, 2, 3]) assert.match(text, new RegExp(`^model-0${m}/privacy-audit\\.json +model-0${m} +audited +100 +100 `, 'm'), `a table row for model ${m}`);
  assert.match(text, /^broken\/privacy-audit\.json +- +input error/m, 'a row for the broken manifest');
  assert.equal(r.stdout, text, 'stdout shows the text table');
  assert.ok(!fs.readdirSync(out).some((f) => f.endsWith('.tmp')), 'no temporary file left');

  // Usage errors.
  assert.equal(cli(['sweep', dir, '--concurrency', '0']).code, 2, '--concurrency 0 is a usage error');
  assert.equal(cli(['sweep', dir, '--format', 'html']).code, 2, 'html is not a sweep format');
  const queue = cli(['sweep', dir, '--queue', 'http://localhost:6379']);
  assert.equal(queue.code, 2, 'a --queue that is not a Redis URL is a usage error');
  assert.match(queue.stderr, /--queue: expected a redis:\/\/ or rediss:\/\/ URL/, 'and says what was expected');
  assert.equal(cli(['sweep', dir, '--format', 'json,text']).code, 2, 'several formats need --out');
  const empty = cli(['sweep', path.join(base, 'cli-out')]);
  assert.equal(empty.code, 2, 'nothing to sweep exits 2');
  assert.match(empty.stderr, /cli-out: no privacy-audit\.json under this folder/, 'and says so');
});
