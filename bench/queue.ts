/**
 * Distributed shadow training through the BullMQ queue: shadow models per minute with 1,
 * 2 and 4 local `privacy-lint worker` processes against one redis-server on this
 * machine, and the same jobs trained in process (trainShadowModels' worker-thread pool
 * with as many threads), in the same run. Prints ONE JSON line.
 *
 *   node --import tsx bench/queue.ts [--shadows 16] [--epochs 20] [--hidden 128]
 *
 * Workload: MLP 64-hidden-10 (relu, softmax; the stacked trainer), 600 audit + 400
 * population records of synthetic data, 300 training records per shadow, batch 32, Adam.
 * One shadow per job. Every configuration starts from an empty cache and trains the same
 * shadows (same seed), and the probabilities of every run are checked equal to the first
 * in-process run's, bit for bit. Workers are started (and warmed up on a small run of
 * another seed) before the clock starts: the timings are steady-state throughput, not
 * process start-up. overhead = queue seconds / in-process seconds at the same
 * parallelism (1.0 = free). The machine is shared: the 1-minute load average is reported.
 * Needs redis-server (scripts/provision-redis.sh) and BullMQ's driver ioredis.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestRedis } from '../scripts/redis-test-server';
import { parseQueueUrl } from '../src/engine/queue';
import { queuedShadowExecutor } from '../src/engine/queue/queue-executor';
import { trainShadowModels, type ShadowOutputs, type ShadowRequest } from '../src/engine/shadow';
import { makeRandom } from '../src/engine/shadow/random';
import { spawnWorker, stopWorkers } from '../test/queue/fixture';

const FEATURES = 64;
const CLASSES = 10;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SHADOWS = arg('shadows', 16);
const EPOCHS = arg('epochs', 20);
const HIDDEN = arg('hidden', 128);

function dataset(dir: string, name: string, count: number, seed: number) {
  const random = makeRandom(seed);
  const features = new Float32Array(count * FEATURES).map(() => random() * 2 - 1);
  const labels = new Int32Array(count).map(() => Math.floor(random() * CLASSES));
  return { source: path.join(dir, name), count, featureShape: [FEATURES], features, labels };
}

function writeModel(dir: string): string {
  const dense = (units: number, activation: string, input?: number) => ({
    class_name: 'Dense',
    config: { units, activation, use_bias: true, ...(input ? { batch_input_shape: [null, input] } : {}) },
  });
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { layers: [dense(HIDDEN, 'relu', FEATURES), dense(CLASSES, 'softmax')] } } }));
  return file;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-queue-'));
  const architectureFile = writeModel(dir);
  const auditRecords = dataset(dir, 'audit', 600, 1);
  const population = dataset(dir, 'population', 400, 2);
  let runs = 0;
  const request = (workers: number, count: number, seed: number, queueUrl?: string): ShadowRequest => ({
    architectureFile, auditRecords, population, numClasses: CLASSES,
    settings: { count, epochs: EPOCHS, batchSize: 32, learningRate: 1e-3, optimizer: 'adam', seed, trainSize: 300, queries: ['identity'], workers: Math.max(2, workers) },
    cacheDir: path.join(dir, `cache-${runs++}`),
    ...(queueUrl ? { executor: queuedShadowExecutor(parseQueueUrl(queueUrl), auditRecords.source) } : {}),
  });
  const timed = async (req: ShadowRequest): Promise<{ seconds: number; out: ShadowOutputs }> => {
    const t = process.hrtime.bigint();
    const out = await trainShadowModels(req);
    return { seconds: Number(process.hrtime.bigint() - t) / 1e9, out };
  };

  const redis = await startTestRedis();
  const loadAverage = os.loadavg()[0];
  let reference: ShadowOutputs | undefined;
  const check = (out: ShadowOutputs, what: string) => {
    reference ??= out;
    out.auditProbabilities.forEach((p, s) => {
      if (Buffer.compare(Buffer.from(p.buffer), Buffer.from(reference!.auditProbabilities[s].buffer)) !== 0) throw new Error(`${what}: shadow ${s} differs from the in-process run`);
    });
  };
  const rows: Record<string, unknown>[] = [];
  try {
    for (const parallel of [1, 2, 4]) {
      // In process: the pool with `parallel` threads (stacks of one shadow, as the queue's jobs).
      await timed(request(parallel, 2, 99)); // warm-up: module loading, kernels compiled
      const local = await timed({ ...request(parallel, SHADOWS, 7), settings: { ...request(parallel, SHADOWS, 7).settings, workers: parallel } });
      check(local.out, `in-process x${parallel}`);

      const workers = Array.from({ length: parallel }, () => spawnWorker(redis.url, ['--lock-duration', '30000', '--stalled-interval', '15000']));
      try {
        await Promise.all(workers.map((w) => w.waitFor('ready on', 60_000)));
        await timed(request(parallel, parallel * 2, 98, redis.url)); // warm-up: every worker's thread started
        const queued = await timed(request(parallel, SHADOWS, 7, redis.url));
        check(queued.out, `queue x${parallel}`);
        rows.push({
          workers: parallel,
          queueShadowsPerMinute: +(SHADOWS / queued.seconds * 60).toFixed(1),
          inProcessShadowsPerMinute: +(SHADOWS / local.seconds * 60).toFixed(1),
          queueSeconds: +queued.seconds.toFixed(2),
          inProcessSeconds: +local.seconds.toFixed(2),
          overhead: +(queued.seconds / local.seconds).toFixed(2),
        });
      } finally {
        await stopWorkers(workers);
      }
    }
  } finally {
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const base = rows[0].queueShadowsPerMinute as number;
  process.stdout.write(JSON.stringify({
    bench: 'queue',
    workload: { model: `MLP ${FEATURES}-${HIDDEN}-${CLASSES}`, shadows: SHADOWS, epochs: EPOCHS, trainRecords: 300, batchSize: 32, auditRecords: 600, populationRecords: 400 },
    cores: os.cpus().length,
    loadAverage1m: +loadAverage.toFixed(2),
    rows: rows.map((r) => ({ ...r, speedupVsOneWorker: +((r.queueShadowsPerMinute as number) / base).toFixed(2) })),
    bitForBit: true,
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench/queue: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
