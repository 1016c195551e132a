/** Unknown --attacks ids and --only audit names stop the CLI with exit 2 and a suggestion, before any model is loaded. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from './cli-helpers';
import { overfitWorkspace } from '../helpers/overfit-workspace';

test('an unknown --attacks id is exit 2 with a did-you-mean per id', () => {
  const r = cli(['audit', 'examples/fashion-mnist', '--attacks', 'rmai,loss-threshold,loss-treshold']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /unknown attack "rmai" \(did you mean "rmia"\?\)/);
  assert.match(r.stderr, /unknown attack "loss-treshold" \(did you mean "loss-threshold"\?\)/);
  assert.doesNotMatch(r.stderr, /unknown attack "loss-threshold"/, 'a known id is not reported');
  assert.equal(r.stdout, '', 'no report is printed');
});

test('an --attacks id with no near match lists the known attacks', () => {
  const r = cli(['audit', 'examples/fashion-mnist', '--attacks', 'zzzzzzzz']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown attack "zzzzzzzz" in --attacks; known attacks: loss-threshold, .*rmia/);
});

test('an unknown --only audit name is exit 2 with a suggestion and the manifest\'s names', async () => {
  const ws = await overfitWorkspace();
  const r = cli(['audit', ws.manifest, '--only', 'overfit-mpl']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /unknown audit "overfit-mpl" \(did you mean "overfit-mlp"\?\) in --only; the manifest has "overfit-mlp"/);
  const empty = cli(['audit', ws.manifest, '--only', ' , ']);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /--only expects one or more comma-separated names/);
});

test('a known --only name and attack id still run the audit', { timeout: 240_000 }, async () => {
  const ws = await overfitWorkspace();
  const r = cli(['audit', ws.manifest, '--only', 'overfit-mlp', '--attacks', 'loss-threshold', '--format', 'json', '--fail-on', 'never']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.audits.map((a: { name: string }) => a.name), ['overfit-mlp']);
  assert.deepEqual(report.audits[0].attacks.map((a: { id: string }) => a.id), ['loss-threshold']);
});
