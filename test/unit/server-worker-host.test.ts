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

const job: AuditJob = { manifestFile: '/m.json', manifestText: '{}', proposed: false, root: '/', audits: ['a', 'b'], backend: 'cpu' };
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

test('a worker that stops when asked ends the job as cancelled', async () => {
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
  assert.ok(Date.now() - started < CANCEL_GRACE_MS);
  await host.dispose();
});

test('a worker stuck in a long computation is terminated a second after the cancel; the next job gets a new worker', async () => {
  const script = workerScript(`
    if (m.type !== 'run') return;
    if (m.manifestText === 'stuck') { const until = Date.now() + 30000; while (Date.now() < until) {} }
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
  const elapsed = Date.now() - cancelledAt;
  assert.ok(elapsed >= CANCEL_GRACE_MS - 50 && elapsed < CANCEL_GRACE_MS + 1000, `${elapsed} ms`);
  assert.ok(l.lines.some((x) => /did not stop within 1000 ms/.test(x)));
  assert.deepEqual(await host.run(job, {}, new AbortController().signal), { status: 'finished' });
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
