/** Cancellation plumbing: tokens known late, and work a cancel must not wait for. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancellationTokenSource } from 'vscode-languageserver';
import { ABORTED, CancellationHub, unlessAborted } from '../../src/server/cancellation';

test('a request follows a token known only later (a progress created after the request arrived), and cancelAll', () => {
  const hub = new CancellationHub();
  const request = new CancellationTokenSource();
  const progress = new CancellationTokenSource();
  const a = hub.open(request.token);
  a.follow(progress.token);
  assert.equal(a.signal.aborted, false);
  progress.cancel();
  assert.equal(a.signal.aborted, true);

  const b = hub.open(undefined);
  assert.equal(hub.cancelAll(), 2);
  assert.equal(b.signal.aborted, true);
  a.dispose();
  b.dispose();
  assert.equal(hub.cancelAll(), 0);
});

test('unlessAborted answers ABORTED as soon as the signal aborts, without waiting for the work', async () => {
  const controller = new AbortController();
  let finish!: (v: string) => void;
  const work = new Promise<string>((resolve) => (finish = resolve));
  const raced = unlessAborted(work, controller.signal);
  setTimeout(() => controller.abort(), 20);
  const started = Date.now();
  assert.equal(await raced, ABORTED);
  assert.ok(Date.now() - started < 500);
  finish('late');

  assert.equal(await unlessAborted(Promise.resolve(42), new AbortController().signal), 42);
  await assert.rejects(unlessAborted(Promise.reject(new Error('boom')), new AbortController().signal), /boom/);
  assert.equal(await unlessAborted(Promise.resolve(1), AbortSignal.abort()), ABORTED);
});
