import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { overfitWorkspace } from '../helpers/overfit-workspace';

const ROOT = path.resolve(__dirname, '../..');

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-cli-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

test('evaluate prints the metrics object with the documented keys', () => {
  const cases = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/metrics/roc-cases.json'), 'utf8'));
  const c = cases.cases.find((x: { name: string }) => x.name === 'ties-across-classes');
  const file = tmpFile('scores.json', JSON.stringify({ scores: c.scores, membership: c.membership }));
  const r = cli(['evaluate', file, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const key of ['auc', 'advantage', 'tprAtFpr', 'roc']) assert.ok(key in out, `missing ${key}`);
  assert.deepEqual(Object.keys(out.tprAtFpr).sort(), ['0.0001', '0.001', '0.01']);
  assert.ok(Math.abs(out.auc - c.auc) < 1e-12, `AUC ${out.auc} vs sklearn ${c.auc}`);
  assert.ok(Array.isArray(out.roc[0]) && out.roc[0].length === 2, 'roc is a list of [fpr, tpr]');
});

test('evaluate names the bad field and exits 2', () => {
  const file = tmpFile('bad.json', JSON.stringify({ scores: [0.1, 'x'], membership: [true, false] }));
  const r = cli(['evaluate', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.json \(field "scores\[1\]"\): expected a number, found "x"/);
  const mismatch = tmpFile('m.json', JSON.stringify({ scores: [0.1, 0.2, 0.3], membership: [true, false] }));
  assert.match(cli(['evaluate', mismatch]).stderr, /"scores" has 3 entries but "membership" has 2/);
});

test('audit writes every report format and exits by --fail-on', { timeout: 240_000 }, async () => {
  const ws = await overfitWorkspace();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-out-'));
  const r = cli(['audit', ws.manifest, '--format', 'json,sarif,html,text', '--out', out, '--fail-on', 'high', '--attacks', 'loss-threshold,loss-population']);
  assert.equal(r.code, 1, `high findings must fail the run: ${r.stderr}`);
  for (const f of ['report.json', 'report.sarif', 'report.html', 'report.txt']) assert.ok(fs.existsSync(path.join(out, f)), `${f} written`);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  assert.equal(json.audits[0].attacks.length, 2);
  const sarif = JSON.parse(fs.readFileSync(path.join(out, 'report.sarif'), 'utf8'));
  assert.equal(sarif.version, '2.1.0');
  assert.match(r.stdout, /loss-threshold/);
  assert.equal(cli(['audit', ws.manifest, '--fail-on', 'never', '--attacks', 'loss-threshold']).code, 0);
});

test('audit input and usage errors exit 2 with the file named', () => {
  const missing = cli(['audit', '/nonexistent/privacy-audit.json']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /\/nonexistent\/privacy-audit\.json: no such file or folder/);
  assert.equal(cli(['audit', '.', '--format', 'pdf']).code, 2);
  assert.equal(cli(['audit', '.', '--format', 'json,html']).code, 2, 'several formats need --out');
  const bad = tmpFile('privacy-audit.json', '{"version": 1, "audits": [{"name": "a", "modle": "m.json"}]}');
  const r = cli(['audit', bad, '--format', 'text']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /modle/);
});
