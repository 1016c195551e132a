/**
 * The CLI's progress output. On a terminal it redraws one line; in CI (no TTY) it used to
 * print nothing for minutes. It now prints plain lines, rate limited: on a stage change
 * at most once a second, and a heartbeat every 5 s while work goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressBar } from '../../src/cli/progress-bar';

function sink(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 80;
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return { stream, text: () => text };
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const at = (stage: string, done: number, total = 10) => ({ audit: 'mnist', stage, done, total });

test('non-interactive progress prints plain lines: stage changes at most once a second, heartbeats every 5 s', async () => {
  const out = sink(false);
  const c = clock();
  const bar = new ProgressBar(out.stream, { now: c.now });
  bar.update(at('loading model', 0));
  // Twenty attacks within 100 ms: one line, not twenty.
  for (let i = 0; i < 20; i++) {
    c.advance(5);
    bar.update(at(`attack a${i}`, i));
  }
  c.advance(1000);
  bar.update(at('attack rmia', 21)); // a second later: printed
  c.advance(2000);
  bar.update(at('attack rmia', 21)); // same stage, 2 s later: not printed
  c.advance(3000);
  bar.tick(); // 5 s since the last line: heartbeat with the latest progress
  c.advance(1000);
  bar.tick(); // 1 s later: nothing
  bar.done();
  await new Promise((r) => setImmediate(r));
  const lines = out.text().split('\n').filter(Boolean);
  assert.deepEqual(lines, [
    '[0 s] mnist: loading model (step 0/10)',
    '[1 s] mnist: attack rmia (step 21/10)',
    '[6 s] mnist: attack rmia (step 21/10)',
  ]);
  assert.ok(!/[\u001b\r]/.test(out.text()), 'no ANSI escapes or carriage returns in a CI log');
});

test('the heartbeat timer runs by itself and stops with done()', async () => {
  const out = sink(false);
  const bar = new ProgressBar(out.stream, { heartbeatMs: 300, minGapMs: 0 });
  bar.update(at('training shadow models', 3));
  await new Promise((r) => setTimeout(r, 1300));
  bar.done();
  const printed = out.text().split('\n').filter(Boolean).length;
  assert.ok(printed >= 2, `the first line and at least one heartbeat while the stage ran, got ${printed}`);
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(out.text().split('\n').filter(Boolean).length, printed, 'nothing after done()');
});

test('control characters in audit or stage names do not reach the log', async () => {
  const out = sink(false);
  const bar = new ProgressBar(out.stream);
  bar.update({ audit: 'a\u001b[2Jb', stage: 'x\ry', done: 1, total: 2 });
  bar.done();
  await new Promise((r) => setImmediate(r));
  assert.equal(out.text(), '[0 s] a [2Jb: x y (step 1/2)\n');
});

test('on a terminal the bar redraws one line in place and clears it when done', async () => {
  const out = sink(true);
  const bar = new ProgressBar(out.stream);
  bar.update(at('attack rmia', 5));
  bar.done();
  await new Promise((r) => setImmediate(r));
  assert.ok(out.text().startsWith('\rmnist [############------------] 5/10 attack rmia'), JSON.stringify(out.text()));
  assert.ok(!out.text().includes('\n'), 'no new lines on a terminal');
});
