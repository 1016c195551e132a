/**
 * The queue URL's way from the user to the shadow trainer: the VS Code setting
 * (package.json contribution, read by engine-settings.ts, applied live), the server's
 * check of the settings it receives, and the audit options (attack-context.ts hands a
 * queued ShadowRequest to trainShadowModels: shown by the error of a queue no one
 * listens on, which only a queued run can produce).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createAttackContext } from '../../src/engine/audit/attack-context';
import type { ModelOutputs } from '../../src/engine/audit/model-outputs';
import type { AuditSpec } from '../../src/engine/manifest';
import { DEFAULTS, readEngineSettings, SECTION, SETTINGS, settingsChangeEffect } from '../../src/extension/engine-settings';
import { DEFAULT_SETTINGS, readInitOptions, readSettings } from '../../src/server/init-options';
import { dataset, writeMlp } from '../queue/fixture';

const ROOT = path.resolve(__dirname, '../..');

test('package.json contributes modelPrivacy.queue.url: empty by default, user (machine) scope only', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const prop = pkg.contributes.configuration.properties[`${SECTION}.${SETTINGS.queueUrl}`];
  assert.ok(prop, 'the setting is contributed');
  assert.equal(prop.default, DEFAULTS.queueUrl, 'its default equals the one engine-settings.ts falls back to');
  assert.equal(prop.scope, 'machine', 'a workspace cannot point its audits (and data) at another Redis');
  const pattern = new RegExp(prop.pattern);
  assert.ok(pattern.test('') && pattern.test('redis://10.0.0.5:6379') && !pattern.test('http://x'), 'its pattern takes empty or redis:// URLs only');
});

test('engine-settings reads the queue URL, ignores a malformed one, and applies a change live', () => {
  const read = (url: unknown) => readEngineSettings((key) => (key === SETTINGS.queueUrl ? url : undefined)).queueUrl;
  assert.equal(read('redis://10.0.0.5:6379'), 'redis://10.0.0.5:6379', 'a redis URL');
  assert.equal(read(' rediss://r.internal:6380 '), 'rediss://r.internal:6380', 'TLS, trimmed');
  assert.equal(read('http://10.0.0.5'), '', 'another scheme means local training');
  assert.equal(read(42), '', 'a non-string means local training');
  assert.equal(read(undefined), '', 'unset means local training');
  const changed = (key: string) => (section: string) => key === section || key.startsWith(`${section}.`);
  assert.deepEqual(settingsChangeEffect(changed(`${SECTION}.${SETTINGS.queueUrl}`)), { send: true, restart: false }, 'sent to the running engine, no restart');
});

test('the server keeps a valid queue URL from the client and notes a bad one', () => {
  const notes: string[] = [];
  assert.equal(readSettings({ queueUrl: 'redis://h:6379' }, notes).queueUrl, 'redis://h:6379', 'valid URL kept');
  assert.deepEqual(notes, [], 'no note for a valid URL');
  assert.equal(readSettings({ queueUrl: 'redis://h:99999' }, notes).queueUrl, '', 'a bad port falls back to local training');
  assert.match(notes[0] ?? '', /queue URL "redis:\/\/h:99999" is not a redis:\/\/ URL; training shadow models locally/, 'with a note for the log');
  assert.equal(readSettings({}, []).queueUrl, DEFAULT_SETTINGS.queueUrl, 'absent: the default');
  assert.equal(readInitOptions({ settings: { queueUrl: 'redis://q:1' }, storagePath: '/s', trusted: true }).options.settings.queueUrl, 'redis://q:1', 'initializationOptions carry it');
});

test('an audit with queueUrl trains its shadows through that queue', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-settings-'));
  // A port nothing listens on: only the queued path tries to connect, and says so.
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  try {
    const members = dataset(dir, 'members.csv', 20, 1);
    const nonMembers = dataset(dir, 'non-members.csv', 20, 2);
    const group = (d: typeof members) => ({ dataset: d, probabilities: new Float32Array(d.count * 3).fill(1 / 3) });
    const outputs = { model: { numClasses: 3 }, members: group(members), nonMembers: group(nonMembers) } as unknown as ModelOutputs;
    const spec = {
      name: 'a', index: 0, model: writeMlp(dir),
      shadow: { count: 2, epochs: 1, batchSize: 8, learningRate: 0.01, optimizer: 'adam', seed: 1, trainSize: 10, queries: ['identity'] },
    } as unknown as AuditSpec;
    const queued = createAttackContext(spec, outputs, dir, {}, { cacheDir: path.join(dir, 'cache'), queueUrl: `redis://127.0.0.1:${port}` });
    await assert.rejects(queued.shadows(), new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`), 'the shadow request went to the queue');
    const bad = createAttackContext(spec, outputs, dir, {}, { cacheDir: path.join(dir, 'cache'), queueUrl: 'http://nope' });
    await assert.rejects(async () => bad.shadows(), /--queue: expected a redis:\/\/ or rediss:\/\/ URL/, 'a malformed URL is an input error');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
