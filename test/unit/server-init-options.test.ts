import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, readInitOptions } from '../../src/server/init-options';

test('well-formed options are taken as given', () => {
  const settings = { backend: 'wasm', workers: 2, sweepAttacks: ['loss-threshold'], shadowModels: 32, defaultPolicy: { maxTprAtFpr: 0.02, fpr: 0.01, maxAuc: 0.7 }, exclude: ['**/tmp/**'] };
  const { options, notes } = readInitOptions({ storagePath: '/s', settings, trusted: false, docsBaseUri: 'file:///ext/' });
  assert.deepEqual(options, { storagePath: '/s', settings: { ...settings, queueUrl: '' }, trusted: false, docsBaseUri: 'file:///ext/' }, 'no queue URL: train locally');
  assert.deepEqual(notes, []);
});

test('missing or malformed fields fall back to defaults, each with a note', () => {
  const { options, notes } = readInitOptions({ settings: { backend: 'gpu', workers: -1, sweepAttacks: 'loss', shadowModels: 1, defaultPolicy: { maxAuc: 'high' } } });
  assert.deepEqual(options.settings, DEFAULT_SETTINGS);
  assert.equal(options.settings.shadowModels, 8, 'the engine\'s default reference-model count');
  assert.equal(options.storagePath, undefined);
  assert.equal(options.trusted, true, 'only an explicit false restricts; the client owns Workspace Trust');
  assert.equal(notes.length, 4, notes.join('\n'));
  assert.ok(notes.some((n) => n.includes('"gpu"')));
  assert.ok(notes.some((n) => n === 'shadowModels 1 is not a whole number from 2 to 1024; using 8'), notes.join('\n'));
  for (const bad of [1025, 2.5, '16']) assert.equal(readInitOptions({ settings: { shadowModels: bad } }).options.settings.shadowModels, 8, String(bad));
  assert.deepEqual(readInitOptions(undefined).options.settings, DEFAULT_SETTINGS);
});
