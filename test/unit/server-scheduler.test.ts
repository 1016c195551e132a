import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditScheduler, type JobRunner } from '../../src/server/scheduler';
import type { AuditJob, JobEnd } from '../../src/server/worker-host';

/** A runner whose jobs finish when the test says so. */
class FakeRunner implements JobRunner {
  static running = 0;
  static maxRunning = 0;
  readonly started: string[] = [];
  private finishers: (() => void)[] = [];

  run(job: AuditJob, _hooks: unknown, signal: AbortSignal): Promise<JobEnd> {
    this.started.push(job.audits[0]!);
    FakeRunner.running++;
    FakeRunner.maxRunning = Math.max(FakeRunner.maxRunning, FakeRunner.running);
    return new Promise((resolve) => {
      const finish = () => end({ status: 'finished' });
      const end = (e: JobEnd) => {
        this.finishers = this.finishers.filter((f) => f !== finish);
        FakeRunner.running--;
        resolve(e);
      };
      this.finishers.push(finish);
      signal.addEventListener('abort', () => end({ status: 'cancelled' }), { once: true });
    });
  }

  finishNext(): void {
    this.finishers.shift()?.();
  }

  async dispose(): Promise<void> {}
}

const job = (name: string): AuditJob => ({ manifestFile: 'm', manifestText: '{}', proposed: false, root: '/', audits: [name], backend: 'cpu', workers: 1 });
const tick = () => new Promise((r) => setImmediate(r));

test('one job at a time; the rest wait in order', async () => {
  FakeRunner.running = 0;
  FakeRunner.maxRunning = 0;
  const runner = new FakeRunner();
  const scheduler = new AuditScheduler(1, () => runner);
  const ends = ['a', 'b', 'c'].map((n) => scheduler.run(job(n), {}, new AbortController().signal));
  await tick();
  assert.deepEqual(runner.started, ['a']);
  assert.equal(scheduler.queued, 2);
  runner.finishNext();
  await tick();
  runner.finishNext();
  await tick();
  runner.finishNext();
  assert.deepEqual(await Promise.all(ends), [{ status: 'finished' }, { status: 'finished' }, { status: 'finished' }]);
  assert.deepEqual(runner.started, ['a', 'b', 'c']);
  assert.equal(FakeRunner.maxRunning, 1);
});

test('a job cancelled while queued never starts; cancelling the running one frees the slot', async () => {
  const runner = new FakeRunner();
  const scheduler = new AuditScheduler(1, () => runner);
  const first = new AbortController();
  const queued = new AbortController();
  const a = scheduler.run(job('a'), {}, first.signal);
  const b = scheduler.run(job('b'), {}, queued.signal);
  const c = scheduler.run(job('c'), {}, new AbortController().signal);
  await tick();
  queued.abort();
  assert.deepEqual(await b, { status: 'cancelled' });
  first.abort();
  assert.deepEqual(await a, { status: 'cancelled' });
  await tick();
  assert.deepEqual(runner.started, ['a', 'c']);
  runner.finishNext();
  assert.deepEqual(await c, { status: 'finished' });
});

test('a limit of two runs two jobs on two runners', async () => {
  const runners: FakeRunner[] = [];
  const scheduler = new AuditScheduler(2, () => {
    const r = new FakeRunner();
    runners.push(r);
    return r;
  });
  const ends = ['a', 'b', 'c'].map((n) => scheduler.run(job(n), {}, new AbortController().signal));
  await tick();
  assert.equal(runners.length, 2);
  assert.deepEqual(runners.map((r) => r.started), [['a'], ['b']]);
  runners[1]!.finishNext();
  await tick();
  assert.deepEqual(runners[1]!.started, ['b', 'c'], 'the freed runner takes the next job');
  runners[0]!.finishNext();
  runners[1]!.finishNext();
  await Promise.all(ends);
});
