import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Finding } from '../../src/engine/report/schema';
import { FileHasher } from '../../src/server/file-hasher';
import type { Log } from '../../src/server/log';
import {
  auditCacheKey, mergeEntry, reportOf, ResultCache, staleAudits, writeFileAtomic, type CachedAudit, type ReportHeader,
} from '../../src/server/result-cache';
import { summarize } from '../../src/server/summaries';

function workspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-cache-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };
  const manifest = write('privacy-audit.json', '{"version":1,"audits":[]}');
  const model = write('model/model.json', '{"modelTopology":{},"weightsManifest":[]}');
  const data = write('data/train.csv', 'a,label\n1,0\n');
  return { dir, manifest, model, data, write, storage: path.join(dir, '.storage') };
}

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

const header = (root: string): ReportHeader => ({
  schemaVersion: '1.0.0', tool: { name: 'privacy-lint', version: '0.1.0' }, createdAt: '2024-01-01T00:00:00.000Z', backend: 'cpu', manifest: 'privacy-audit.json', root,
});

const riskFinding: Finding = {
  rule: 'membership-risk', severity: 'high', audit: 'a', attack: 'loss-threshold', message: 'AUC 0.9', location: { file: 'privacy-audit.json' }, related: [],
};

async function part(ws: ReturnType<typeof workspace>, hasher: FileHasher, name = 'a'): Promise<CachedAudit> {
  const key = await auditCacheKey({ manifestText: 'text', audit: name, files: [ws.model, ws.data] }, hasher);
  return { name, model: ws.model, key: key.key, inputs: key.inputs, findings: [{ ...riskFinding, audit: name }] };
}

test('hit: same inputs give the same key, and the stored part is found again after a restart', async () => {
  const ws = workspace();
  const first = await part(ws, new FileHasher());
  const cache = new ResultCache(ws.storage, recordingLog());
  cache.put(mergeEntry(undefined, { reportKey: ws.manifest, header: header(ws.dir), audits: [first], manifestAudits: ['a'] }));

  const again = await auditCacheKey({ manifestText: 'text', audit: 'a', files: [ws.model, ws.data] }, new FileHasher());
  assert.equal(again.key, first.key);
  const reopened = new ResultCache(ws.storage, recordingLog());
  const hit = reopened.lookup(ws.manifest, 'a', again.key);
  assert.ok(hit, 'a fresh cache reads the entry from disk');
  assert.deepEqual(hit.findings, first.findings);
  assert.equal(reportOf(reopened.get(ws.manifest)!).findings.length, 1);
});

test('miss: changing a data file, the manifest text, the attacks or the engine version changes the key', async () => {
  const ws = workspace();
  const hasher = new FileHasher();
  const base = { manifestText: 'text', audit: 'a', files: [ws.model, ws.data] };
  const before = await auditCacheKey(base, hasher);
  assert.notEqual((await auditCacheKey({ ...base, manifestText: 'text ' }, hasher)).key, before.key);
  assert.notEqual((await auditCacheKey({ ...base, attacks: ['loss-threshold'] }, hasher)).key, before.key);
  assert.notEqual((await auditCacheKey(base, hasher, '9.9.9')).key, before.key);

  const cache = new ResultCache(ws.storage, recordingLog());
  cache.put(mergeEntry(undefined, { reportKey: ws.manifest, header: header(ws.dir), audits: [await part(ws, hasher)], manifestAudits: ['a'] }));
  fs.writeFileSync(ws.data, 'a,label\n2,0\n'); // same size, new bytes
  const after = await auditCacheKey(base, hasher);
  assert.notEqual(after.key, before.key);
  assert.equal(cache.lookup(ws.manifest, 'a', after.key), undefined);
});

test('a reused hash needs the same size, mtime and inode, and a racy-new file is always rehashed', async () => {
  const ws = workspace();
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(ws.data, old, old);
  const hasher = new FileHasher();
  const first = await hasher.fingerprint(ws.data);
  // Rewrite with different bytes, then restore the old size and mtime: only the hash can tell.
  fs.writeFileSync(ws.data, 'a,label\n9,0\n');
  fs.utimesSync(ws.data, old, old);
  const trusted = await hasher.fingerprint(ws.data);
  assert.equal(trusted.sha256, first.sha256, 'an unchanged stamp reuses the hash (this is the point of the memo)');
  // A file whose mtime is within the racy window of its hashing is never trusted.
  const fresh = ws.write('data/fresh.csv', 'x\n1\n');
  const h1 = await hasher.fingerprint(fresh);
  fs.writeFileSync(fresh, 'x\n2\n');
  fs.utimesSync(fresh, new Date(h1.mtimeMs), new Date(h1.mtimeMs));
  assert.notEqual((await hasher.fingerprint(fresh)).sha256, h1.sha256);
});

test('stale marking: audits whose current key differs are stale, and their summaries say so', async () => {
  const ws = workspace();
  const hasher = new FileHasher();
  const entry = mergeEntry(undefined, {
    reportKey: ws.manifest, header: header(ws.dir), audits: [await part(ws, hasher, 'a'), await part(ws, hasher, 'b')], manifestAudits: ['a', 'b'],
  });
  const current = new Map<string, string | undefined>([['a', entry.audits[0]!.key], ['b', entry.audits[1]!.key]]);
  assert.deepEqual([...staleAudits(entry, current)], []);
  fs.appendFileSync(ws.data, '3,1\n');
  current.set('b', (await auditCacheKey({ manifestText: 'text', audit: 'b', files: [ws.model, ws.data] }, hasher)).key);
  const stale = staleAudits(entry, current);
  assert.deepEqual([...stale], ['b']);
  current.set('a', undefined); // audit "a" left the manifest
  assert.deepEqual([...staleAudits(entry, current)].sort(), ['a', 'b']);
  const summaries = summarize(reportOf(entry), { reportKey: entry.reportKey, staleAudits: stale, manifest: ws.manifest, modelOf: (n) => entry.audits.find((p) => p.name === n)?.model });
  assert.deepEqual(summaries.map((s) => [s.audit, s.stale, s.severity, s.model, s.reportKey]), [['a', false, 'high', ws.model, ws.manifest], ['b', true, 'high', ws.model, ws.manifest]]);
});

test('merging keeps other audits, replaces re-run ones and drops audits gone from the manifest', async () => {
  const ws = workspace();
  const hasher = new FileHasher();
  const a = await part(ws, hasher, 'a');
  const b = await part(ws, hasher, 'b');
  let entry = mergeEntry(undefined, { reportKey: ws.manifest, header: header(ws.dir), audits: [a, b], manifestAudits: ['a', 'b'] });
  const newB = { ...b, key: 'new' };
  entry = mergeEntry(entry, { reportKey: ws.manifest, header: header(ws.dir), audits: [newB], manifestAudits: ['b', 'a'] });
  assert.deepEqual(entry.audits.map((p) => [p.name, p.key]), [['b', 'new'], ['a', a.key]]);
  entry = mergeEntry(entry, { reportKey: ws.manifest, header: header(ws.dir), audits: [], manifestAudits: ['a'] });
  assert.deepEqual(entry.audits.map((p) => p.name), ['a']);
});

test('a corrupt or foreign cache file is ignored and logged, and the next write replaces it', async () => {
  const ws = workspace();
  const log = recordingLog();
  const writer = new ResultCache(ws.storage, log);
  const p = await part(ws, new FileHasher());
  writer.put(mergeEntry(undefined, { reportKey: ws.manifest, header: header(ws.dir), audits: [p], manifestAudits: ['a'] }));
  const dir = path.join(ws.storage);
  const [file] = fs.readdirSync(dir);
  fs.writeFileSync(path.join(dir, file!), '{"formatVersion":1,"reportKey":'); // truncated
  const reader = new ResultCache(ws.storage, log);
  assert.equal(reader.get(ws.manifest), undefined);
  assert.ok(log.lines.some((l) => l.startsWith('warn Ignoring corrupt cached results')), log.lines.join('\n'));

  fs.writeFileSync(path.join(dir, file!), JSON.stringify({ formatVersion: 1, reportKey: ws.manifest, header: { root: ws.dir }, manifestFindings: [], audits: [{ name: 'a' }] }));
  assert.equal(new ResultCache(ws.storage, log).get(ws.manifest), undefined, 'a wrong shape is not trusted either');
  assert.equal(new ResultCache(ws.storage, log).loadAll().length, 0);

  reader.put(mergeEntry(undefined, { reportKey: ws.manifest, header: header(ws.dir), audits: [p], manifestAudits: ['a'] }));
  assert.ok(new ResultCache(ws.storage, log).lookup(ws.manifest, 'a', p.key));
});

test('atomic writes leave no temp files, also when the rename fails; old temp files are swept', async () => {
  const ws = workspace();
  const log = recordingLog();
  const cache = new ResultCache(ws.storage, log);
  const p = await part(ws, new FileHasher());
  for (let i = 0; i < 3; i++) cache.put(mergeEntry(undefined, { reportKey: ws.manifest, header: header(ws.dir), audits: [p], manifestAudits: ['a'] }));
  assert.deepEqual(fs.readdirSync(ws.storage).filter((n) => !n.endsWith('.json')), []);
  assert.equal(fs.readdirSync(ws.storage).length, 1);

  // A folder where the file should go makes the rename fail: the write is reported, nothing is left behind.
  const target = path.join(ws.dir, 'blocked.json');
  fs.mkdirSync(path.join(target, 'inside'), { recursive: true });
  assert.throws(() => writeFileAtomic(target, '{}'));
  assert.deepEqual(fs.readdirSync(ws.dir).filter((n) => n.endsWith('.tmp')), []);

  const orphan = path.join(ws.storage, 'x.json.123.ab.tmp');
  fs.writeFileSync(orphan, '{');
  const old = new Date(Date.now() - 3_600_000);
  fs.utimesSync(orphan, old, old);
  new ResultCache(ws.storage, log).loadAll();
  assert.equal(fs.existsSync(orphan), false);
});

test('without a storage folder results live in memory only', async () => {
  const ws = workspace();
  const cache = new ResultCache(undefined, recordingLog());
  const p = await part(ws, new FileHasher());
  cache.put(mergeEntry(undefined, { reportKey: ws.manifest, header: header(ws.dir), audits: [p], manifestAudits: ['a'] }));
  assert.ok(cache.lookup(ws.manifest, 'a', p.key));
  assert.equal(fs.existsSync(ws.storage), false);
});
