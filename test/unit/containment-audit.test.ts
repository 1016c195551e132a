/**
 * Audits stay inside the workspace, end to end through the engine's entry point
 * (auditTarget) and the CLI: manifest paths that leave the workspace (relative, absolute,
 * /proc, symlinks, weight shards) are errors on their manifest key; FIFOs and devices are
 * refused without hanging; a huge manifest is refused on "audits"; control characters and
 * CI workflow commands in user strings never reach an output line raw. A secret planted in
 * the outside file must not appear in any report format.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { layersModelFileWriter } from '../../src/engine/artifacts/models/tfjs-layers-files';
import { auditTarget, type AuditOptions } from '../../src/engine/audit';
import { renderReport, REPORT_FORMATS, type AuditReport, type Finding } from '../../src/engine/report';
import { cli } from './cli-helpers';

const SECRET = 'TOPSECRET-7c1e9b';
const FEATURES = 4;

function rows(n: number, seed: number): string {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
  const lines = Array.from({ length: n }, () => [...Array.from({ length: FEATURES }, () => (rand() * 2 - 1).toFixed(4)), Math.floor(rand() * 2)].join(','));
  return `${[...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',')}\n${lines.join('\n')}\n`;
}

interface Workspace {
  root: string;
  outside: string;
}

/** A workspace with a small TF.js model and data, and a folder beside it holding a secret. */
const setup: Promise<Workspace> = (async () => {
  await initBackend('auto');
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-contain-audit-')));
  const root = path.join(base, 'ws');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [FEATURES], units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) })] });
  await model.save(layersModelFileWriter(path.join(root, 'model')));
  await model.save(layersModelFileWriter(path.join(outside, 'model')));
  fs.writeFileSync(path.join(root, 'train.csv'), rows(40, 1));
  fs.writeFileSync(path.join(root, 'test.csv'), rows(40, 2));
  // The secret is in a valid CSV header and in a label file: read, it would be echoed in messages.
  fs.writeFileSync(path.join(outside, 'secret.csv'), `${SECRET},label\n${SECRET}-cell,1\n`);
  fs.writeFileSync(path.join(outside, 'labels.txt'), `${SECRET}\n`);
  return { root, outside };
})();

let counter = 0;
function manifest(ws: Workspace, audits: unknown[]): string {
  const file = path.join(ws.root, `m${counter++}`, 'privacy-audit.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ version: 1, audits }, null, 2));
  return file;
}

const OPTIONS: AuditOptions = { backend: 'auto', attacks: ['loss-threshold'] };

/** Audit through the engine's front door, timed; the workspace root is ws.root as VS Code and the CLI pass it. */
async function audit(file: string, ws: Workspace, extra: AuditOptions = {}): Promise<{ report: AuditReport; ms: number }> {
  const t0 = performance.now();
  const report = await auditTarget(file, { ...OPTIONS, workspaceRoot: ws.root, ...extra });
  return { report, ms: performance.now() - t0 };
}

/** The manifest text the finding's range covers. */
function rangeText(file: string, f: Finding): string {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(f.location.range, `finding has no range: ${f.message}`);
  return text.slice(f.location.range.offset, f.location.range.offset + f.location.range.length);
}

function errorsOf(report: AuditReport): Finding[] {
  return report.findings.filter((f) => f.rule === 'invalid-input' && f.severity === 'high');
}

/** Every report format, rendered as the CLI writes them. */
function allFormats(report: AuditReport): Record<string, string> {
  return Object.fromEntries(REPORT_FORMATS.map((f) => [f, renderReport(report, f)]));
}

function assertNoSecret(report: AuditReport): void {
  for (const [format, text] of Object.entries(allFormats(report))) assert.ok(!text.includes(SECRET), `${format} report leaks the secret`);
}

/** No raw control character, and no line a CI runner would take as a workflow command. */
function assertClean(format: string, text: string): void {
  const allowed = /\n/;
  for (const c of text) {
    const code = c.codePointAt(0)!;
    const unsafe = (code < 0x20 && !allowed.test(c)) || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
    assert.ok(!unsafe, `${format} output holds raw U+${code.toString(16).padStart(4, '0')}`);
  }
  for (const line of text.split('\n')) {
    assert.ok(!line.trimStart().startsWith('::'), `${format} line starts a GitHub workflow command: ${line.slice(0, 80)}`);
    assert.ok(!/##vso\[/i.test(line), `${format} line holds an Azure logging command: ${line.slice(0, 80)}`);
  }
}

const inside = { members: '../train.csv', nonMembers: '../test.csv' };

describe('manifest paths resolve inside the workspace', { timeout: 300_000 }, () => {
  test('relative, absolute and /proc paths out of the workspace are errors on their own key, and nothing is read', async () => {
    const ws = await setup;
    const cases: [string, unknown, (string | number)[]][] = [
      ['members', { ...inside, members: '../../outside/secret.csv' }, ['members']],
      ['nonMembers', { ...inside, nonMembers: '/etc/passwd' }, ['nonMembers']],
      ['population', { ...inside, population: { path: '/proc/self/environ', format: 'csv' } }, ['population', 'path']],
      ['labelsPath', { ...inside, members: { path: '../train.csv', labelsPath: '../../outside/labels.txt' } }, ['members', 'labelsPath']],
      ['model', { ...inside, model: '../../outside/model/model.json' }, ['model']],
      ['ensemble', { ...inside, model: ['../model/model.json', path.join(ws.outside, 'model', 'model.json')] }, ['model', 1]],
      ['shadow.architecture', { ...inside, shadow: { architecture: '../../outside/model/model.json' } }, ['shadow', 'architecture']],
    ];
    for (const [label, fields, key] of cases) {
      const audits = [{ name: label, model: '../model/model.json', ...(fields as object) }];
      const file = manifest(ws, audits);
      const { report, ms } = await audit(file, ws);
      const errors = errorsOf(report);
      assert.equal(errors.length, 1, `${label}: ${errors.map((e) => e.message).join(' | ')}`);
      assert.match(errors[0]!.message, /expected a .* inside the workspace, found ".*", which resolves outside the workspace .*--allow-outside-workspace/, label);
      let value: unknown = audits[0];
      for (const k of key) value = (value as Record<string | number, unknown>)[k];
      assert.equal(rangeText(file, errors[0]!), JSON.stringify(value), `${label}: the error sits on the key's value`);
      assert.equal(report.audits.length, 0, `${label}: no audit ran`);
      assert.ok(ms < 5000, `${label}: ${ms.toFixed(0)} ms`);
      assertNoSecret(report);
    }
  });

  test('a symlink out of the workspace, and a model.json whose weight shard is a symlink to /dev/zero, are errors on their key', async () => {
    const ws = await setup;
    fs.symlinkSync(path.join(ws.outside, 'secret.csv'), path.join(ws.root, 'link.csv'));
    const zeroModel = path.join(ws.root, 'zero-model');
    fs.cpSync(path.join(ws.root, 'model'), zeroModel, { recursive: true });
    fs.rmSync(path.join(zeroModel, 'group1-shard1of1.bin'));
    fs.symlinkSync('/dev/zero', path.join(zeroModel, 'group1-shard1of1.bin'));

    const link = manifest(ws, [{ name: 'link', model: '../model/model.json', ...inside, members: '../link.csv' }]);
    const linked = await audit(link, ws);
    assert.match(errorsOf(linked.report)[0]!.message, /"\.\.\/link\.csv", which resolves outside the workspace .* \(through a symlink, to .*outside\/secret\.csv\)/);
    assert.equal(rangeText(link, errorsOf(linked.report)[0]!), '"../link.csv"');
    assertNoSecret(linked.report);

    const zero = manifest(ws, [{ name: 'zero', model: '../zero-model/model.json', ...inside }]);
    const t0 = performance.now();
    const zeroed = await audit(zero, ws);
    assert.match(errorsOf(zeroed.report)[0]!.message, /expected a weight shard inside the workspace, found "group1-shard1of1\.bin" \(listed in \.\.\/zero-model\/model\.json\), which resolves outside the workspace .* \(through a symlink, to \/dev\/zero\)/);
    assert.equal(rangeText(zero, errorsOf(zeroed.report)[0]!), '"../zero-model/model.json"');
    assert.ok(performance.now() - t0 < 5000);
    // Allowed outside, the shard is still refused: a device is never read.
    const allowed = await audit(zero, ws, { allowOutsideWorkspace: true });
    assert.match(errorsOf(allowed.report)[0]!.message, /expected a regular weight shard, found "group1-shard1of1\.bin" \(listed in \.\.\/zero-model\/model\.json\), which is a device; only regular files are read/);
    assert.equal(rangeText(zero, errorsOf(allowed.report)[0]!), '"../zero-model/model.json"');
    // A FIFO shard inside the workspace: refused on the model's key, not waited on.
    fs.rmSync(path.join(zeroModel, 'group1-shard1of1.bin'));
    execFileSync('mkfifo', [path.join(zeroModel, 'group1-shard1of1.bin')]);
    const fifo = await audit(zero, ws);
    assert.match(errorsOf(fifo.report)[0]!.message, /found "group1-shard1of1\.bin" \(listed in \.\.\/zero-model\/model\.json\), which is a FIFO \(named pipe\); only regular files are read/);
  });

  test('the user may allow outside paths (never the manifest); the audit then runs', async () => {
    const ws = await setup;
    fs.writeFileSync(path.join(ws.outside, 'train.csv'), rows(40, 1));
    const file = manifest(ws, [{ name: 'allowed', model: '../../outside/model/model.json', members: '../../outside/train.csv', nonMembers: '../test.csv' }]);
    assert.equal(errorsOf((await audit(file, ws)).report).length, 2);
    const { report } = await audit(file, ws, { allowOutsideWorkspace: true });
    assert.equal(errorsOf(report).length, 0, report.findings.map((f) => f.message).join(' | '));
    assert.equal(report.audits.length, 1);
    // A manifest field of that name is no permission: the schema refuses unknown properties or it is ignored.
    const sneaky = path.join(path.dirname(file), 'privacy-audit.json');
    fs.writeFileSync(sneaky, JSON.stringify({ version: 1, allowOutsideWorkspace: true, audits: [{ name: 'x', model: '../../outside/model/model.json', ...inside }] }));
    assert.ok(errorsOf((await audit(sneaky, ws)).report).some((f) => /outside the workspace/.test(f.message)));
  });
});

describe('special files and bounded work', { timeout: 300_000 }, () => {
  test('a FIFO as a dataset is an error on its key in bounded time, no hang (the loaders refuse it too: containment-files)', async () => {
    const ws = await setup;
    execFileSync('mkfifo', [path.join(ws.root, 'pipe.csv')]);
    const file = manifest(ws, [{ name: 'fifo', model: '../model/model.json', ...inside, members: '../pipe.csv' }]);
    const { report, ms } = await audit(file, ws);
    const [error] = errorsOf(report);
    assert.match(error!.message, /expected a regular dataset file, found "\.\.\/pipe\.csv", which is a FIFO \(named pipe\); only regular files are read/);
    assert.equal(rangeText(file, error!), '"../pipe.csv"');
    assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
  });

  test('a manifest of 10,000 audits is one error on "audits", in bounded time', async () => {
    const ws = await setup;
    const audits = Array.from({ length: 10_000 }, (_, i) => ({ name: `a${i}`, model: '../model/model.json', ...inside }));
    const file = manifest(ws, audits);
    const peak = process.resourceUsage().maxRSS;
    const { report, ms } = await audit(file, ws);
    const rss = (process.resourceUsage().maxRSS - peak) / 1024;
    const errors = errorsOf(report);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /expected at most 100 audits in one manifest, found 10000; split them over several manifests/);
    assert.equal(rangeText(file, errors[0]!), '"audits"');
    assert.equal(report.audits.length, 0);
    console.log(`10,000-audit manifest: refused in ${ms.toFixed(0)} ms, peak RSS +${rss.toFixed(0)} MiB`);
    assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
  });
});

/** A uint8 NPY file of `shape`, zero-filled. */
function npy(file: string, shape: number[]): void {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(prefix);
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.alloc(shape.reduce((a, b) => a * b, 1))]));
}

describe('work per audit is bounded', { timeout: 300_000 }, () => {
  test('more than 10 million records in a dataset is an error on its key', async () => {
    const ws = await setup;
    npy(path.join(ws.root, 'many-x.npy'), [10_000_001, FEATURES]);
    npy(path.join(ws.root, 'many-y.npy'), [10_000_001]);
    const file = manifest(ws, [{ name: 'many', model: '../model/model.json', ...inside, members: { path: '../many-x.npy', labelsPath: '../many-y.npy' } }]);
    const { report, ms } = await audit(file, ws);
    const [error] = errorsOf(report);
    assert.match(error!.message, /members has 10,000,001 records; an audit reads at most 10,000,000 per dataset \(sample them\)/);
    assert.deepEqual(JSON.parse(rangeText(file, error!)), { path: '../many-x.npy', labelsPath: '../many-y.npy' });
    console.log(`10,000,001-record dataset: refused in ${ms.toFixed(0)} ms`);
  });

  test('shadow training of records x shadows x epochs over the bound is an error before any training', async () => {
    const ws = await setup;
    fs.writeFileSync(path.join(ws.root, 'population.csv'), rows(1000, 3));
    const file = manifest(ws, [{ name: 'huge', model: '../model/model.json', ...inside, population: '../population.csv', shadow: { count: 1024, epochs: 10_000 } }]);
    const { report, ms } = await audit(file, ws, { attacks: ['lira-offline'] });
    const [error] = errorsOf(report);
    assert.match(error!.message, /shadow training would take 1,000 population records x 1024 shadow models x 10000 epochs = 1\.02e\+10 record-epochs; at most 5\.0e\+9 per audit/);
    assert.equal(rangeText(file, error!), '"../population.csv"');
    assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
  });
});

describe('control characters and workflow commands', { timeout: 300_000 }, () => {
  const EVIL = 'evil\u001b[2J\r::error::pwned\n::error file=x::owned\u2028##vso[task.setvariable variable=x]1\u202e\u0085';

  test('in an audit name and a file name, they are escaped in every report format and in the CLI output', async () => {
    const ws = await setup;
    const file = manifest(ws, [
      { name: EVIL, model: '../model/model.json', ...inside },
      { name: 'missing', model: '../model/model.json', members: '../train.csv', nonMembers: `../gone\n::error::x\u001b[31m.csv` },
    ]);
    // The second audit's missing file stops the manifest: audit the first alone too.
    const broken = (await audit(file, ws)).report;
    assert.ok(errorsOf(broken)[0]!.message.includes('gone\n::error::x\u001b[31m.csv'), 'the finding keeps the exact name; renderers escape it');
    for (const [format, text] of Object.entries(allFormats(broken))) assertClean(format, text);

    const good = manifest(ws, [{ name: EVIL, model: '../model/model.json', ...inside }]);
    const { report } = await audit(good, ws);
    assert.equal(report.audits.length, 1);
    for (const [format, text] of Object.entries(allFormats(report))) assertClean(format, text);
    // One visible line: the escapes show what was there, and '::' cannot begin a line.
    assert.match(renderReport(report, 'text'), /== Audit evil\\x1b\[2J\\r::error::pwned\\n::error file=x::owned\\u2028\\x23#vso\[/);
    // JSON keeps the exact value (escaped as JSON), so tools reading it back see the real name.
    assert.equal((JSON.parse(renderReport(report, 'json')) as AuditReport).audits[0]!.name, EVIL);

    // The CLI, as CI runs it: stdout and stderr hold no raw control character and no workflow command.
    const run = cli(['audit', file, '--attacks', 'loss-threshold', '--backend', 'cpu']);
    assert.equal(run.code, 2, run.stderr);
    assertClean('stdout', run.stdout);
    assertClean('stderr', run.stderr.replace(/\r/g, ''));
    assert.ok(!run.stdout.includes(SECRET));
  });

  test('the CLI refuses an outside path (exit 2, an input error) and the flag lets it through', async () => {
    const ws = await setup;
    const file = manifest(ws, [{ name: 'cli', model: '../model/model.json', ...inside, members: '../../outside/secret.csv' }]);
    const refused = cli(['audit', file, '--attacks', 'loss-threshold', '--backend', 'cpu', '--format', 'json']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stdout, /resolves outside the workspace/);
    assert.ok(!refused.stdout.includes(SECRET) && !refused.stderr.includes(SECRET));
    // Without --workspace-root the manifest's own folder is the root: the model and data beside it are outside too.
    const outsideKeys = (stdout: string) => (JSON.parse(stdout) as AuditReport).findings.filter((f) => /resolves outside the workspace/.test(f.message)).map((f) => f.message.split(':')[0]);
    assert.deepEqual(outsideKeys(refused.stdout), ['Audit "cli", model', 'Audit "cli", members', 'Audit "cli", nonMembers']);
    const rooted = cli(['audit', file, '--attacks', 'loss-threshold', '--backend', 'cpu', '--format', 'json', '--workspace-root', ws.root]);
    assert.deepEqual(outsideKeys(rooted.stdout), ['Audit "cli", members']);
    const allowed = cli(['audit', file, '--attacks', 'loss-threshold', '--backend', 'cpu', '--format', 'json', '--allow-outside-workspace']);
    // Allowed, the file is read: it is a one-record CSV whose feature is text, an input error that quotes a short excerpt.
    assert.doesNotMatch(allowed.stdout, /resolves outside the workspace/);
    assert.match(allowed.stdout, /secret\.csv/);
  });
});
