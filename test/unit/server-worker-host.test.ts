import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Log } from '../../src/server/log';
import { AuditWorkerHost, CANCEL_GRACE_MS, type AuditJob } from '../../src/server/worker-host';

/** Stand-in workers in plain JS: the host's contract is the message protocol, not TensorFlow. */
function workerScript(body: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-worker-')), 'worker.js');
  fs.writeFileSync(file, `const { parentPort } = require('node:worker_threads');\nparentPort.on('message', (m) => {\n${body}\n});\n`);
  return file;
}

const job: AuditJob = { manifestFile: '/m.json', manifestText: '{}', proposed: false, root: '/', audits: ['a', 'b'], backend: 'cpu', workers: 1 };
const log = (): Log & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
};

test('progress and each finished audit reach the hooks, then the job finishes; the worker is reused', async () => {
  const script = workerScript(`
    if (m.type !== 'run') return;
    parentPort.postMessage({ type: 'progress', jobId: m.jobId, index: 0, count: 2, progress: { audit: 'a', stage: 'attack x', done: 1, total: 2 } });
    parentPort.postMessage({ type: 'auditDone', jobId: m.jobId, audit: 'a', report: { audits: [], findings: [] } });
    parentPort.postMessage({ type: 'finished', jobId: m.jobId });
  `);
  const host = new AuditWorkerHost(script, log());
  const seen: string[] = [];
  const hooks = { onProgress: (_i: number, _n: number, p: { stage: string }) => seen.push(p.stage), onAuditDone: (a: string) => seen.push(`done ${a}`) };
  assert.deepEqual(await host.run(job, hooks, new AbortController().signal), { status: 'finished' });
  assert.deepEqual(await host.run(job, hooks, new AbortController().signal), { status: 'finished' });
  assert.deepEqual(seen, ['attack x', 'done a', 'attack x', 'done a']);
  await host.dispose();
});

test('a worker that stops when asked ends the job as cancelled, at once', async () => {
  const script = workerScript(`
    if (m.type === 'run') globalThis.job = m.jobId;
    if (m.type === 'cancel') parentPort.postMessage({ type: 'cancelled', jobId: m.jobId });
  `);
  const host = new AuditWorkerHost(script, log());
  const controller = new AbortController();
  const end = host.run(job, {}, controller.signal);
  setTimeout(() => controller.abort(), 50);
  const started = Date.now();
  assert.deepEqual(await end, { status: 'cancelled' });
  assert.ok(Date.now() - started < 200 + 50, `${Date.now() - started} ms`);
  await host.dispose();
});

test('a worker stuck in a long computation: the job answers cancelled at once, the worker is terminated a grace period later, the next job gets a new worker', async () => {
  const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-stuck-')), 'still-running');
  const script = workerScript(`
    if (m.type !== 'run') return;
    if (m.manifestText === 'stuck') {
      const until = Date.now() + 3000;
      while (Date.now() < until) {}
      require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'the stuck worker ran to the end');
    }
    parentPort.postMessage({ type: 'finished', jobId: m.jobId });
  `);
  const l = log();
  const host = new AuditWorkerHost(script, l);
  const controller = new AbortController();
  const end = host.run({ ...job, manifestText: 'stuck' }, {}, controller.signal);
  await new Promise((r) => setTimeout(r, 200));
  const cancelledAt = Date.now();
  controller.abort();
  assert.deepEqual(await end, { status: 'cancelled' });
  const answeredIn = Date.now() - cancelledAt;
  assert.ok(answeredIn < 100, `answered ${answeredIn} ms after the cancel`);
  // The next job does not wait for the stuck worker: it runs on a new one.
  const next = Date.now();
  assert.deepEqual(await host.run(job, {}, new AbortController().signal), { status: 'finished' });
  assert.ok(Date.now() - next < CANCEL_GRACE_MS, `the next job took ${Date.now() - next} ms`);
  await new Promise((r) => setTimeout(r, CANCEL_GRACE_MS + 300));
  assert.ok(l.lines.some((x) => /did not stop within 1000 ms/.test(x)), l.lines.join('\n'));
  await new Promise((r) => setTimeout(r, 3000 - CANCEL_GRACE_MS));
  assert.ok(!fs.existsSync(marker), 'the stuck worker was terminated, not left running');
  await host.dispose();
});

test('a cancel while the worker is still starting answers at once; a new job does not wait for that worker', async () => {
  // The first worker to start takes 2 s before it listens (as a worker loading TensorFlow does); later ones start at once.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-slow-start-'));
  const file = path.join(dir, 'worker.js');
  fs.writeFileSync(file, `
    const fs = require('node:fs');
    const { parentPort } = require('node:worker_threads');
    if (!fs.existsSync(${JSON.stringify(path.join(dir, 'started'))})) {
      fs.writeFileSync(${JSON.stringify(path.join(dir, 'started'))}, '');
      const until = Date.now() + 2000;
      while (Date.now() < until) {}
    }
    parentPort.on('message', (m) => {
      if (m.type === 'cancel') parentPort.postMessage({ type: 'cancelled', jobId: m.jobId });
      if (m.type === 'run' && m.manifestText !== 'wait') parentPort.postMessage({ type: 'finished', jobId: m.jobId });
    });
  `);
  const l = log();
  const host = new AuditWorkerHost(file, l);
  const controller = new AbortController();
  const end = host.run({ ...job, manifestText: 'wait' }, {}, controller.signal);
  await new Promise((r) => setTimeout(r, 100));
  const cancelledAt = Date.now();
  controller.abort();
  assert.deepEqual(await end, { status: 'cancelled' });
  const answeredIn = Date.now() - cancelledAt;
  assert.ok(answeredIn < 100, `answered ${answeredIn} ms after the cancel`);
  const next = Date.now();
  assert.deepEqual(await host.run(job, {}, new AbortController().signal), { status: 'finished' });
  assert.ok(Date.now() - next < 1000, `the next job waited ${Date.now() - next} ms`);
  await new Promise((r) => setTimeout(r, CANCEL_GRACE_MS + 200));
  assert.ok(l.lines.some((x) => /did not stop within/.test(x)), 'the starting worker was terminated');
  await host.dispose();
});

test('a worker that stops by itself after the cancel is kept for the next job', async () => {
  const script = workerScript(`
    const { threadId } = require('node:worker_threads');
    if (m.type === 'cancel') parentPort.postMessage({ type: 'cancelled', jobId: m.jobId });
    if (m.type === 'run') {
      parentPort.postMessage({ type: 'progress', jobId: m.jobId, index: 0, count: 1, progress: { audit: 'a', stage: 'thread ' + threadId, done: 0, total: 1 } });
      if (m.manifestText !== 'wait') parentPort.postMessage({ type: 'finished', jobId: m.jobId });
    }
  `);
  const l = log();
  const host = new AuditWorkerHost(script, l);
  const threads: string[] = [];
  const hooks = { onProgress: (_i: number, _n: number, p: { stage: string }) => threads.push(p.stage) };
  const controller = new AbortController();
  const end = host.run({ ...job, manifestText: 'wait' }, hooks, controller.signal);
  while (threads.length === 0) await new Promise((r) => setTimeout(r, 10));
  controller.abort();
  assert.deepEqual(await end, { status: 'cancelled' });
  // Let the worker's "cancelled" arrive; it then becomes the host's worker again.
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await host.run(job, hooks, new AbortController().signal), { status: 'finished' });
  assert.equal(threads.length, 2);
  assert.equal(threads[1], threads[0], 'the same worker thread ran the next job');
  assert.ok(!l.lines.some((x) => /did not stop/.test(x)));
  await host.dispose();
});

test('a worker that crashes or exits fails the job with a message instead of hanging', async () => {
  const crashing = new AuditWorkerHost(workerScript(`if (m.type === 'run') setImmediate(() => { throw new Error('kaboom'); });`), log());
  const crash = await crashing.run(job, {}, new AbortController().signal);
  assert.equal(crash.status, 'failed');
  assert.match((crash as { message: string }).message, /crashed: kaboom/);
  await crashing.dispose();

  const exiting = new AuditWorkerHost(workerScript(`if (m.type === 'run') process.exit(4);`), log());
  const exit = await exiting.run(job, {}, new AbortController().signal);
  assert.deepEqual(exit, { status: 'failed', message: 'the audit worker stopped unexpectedly (exit code 4)', input: false });
  await exiting.dispose();
});
