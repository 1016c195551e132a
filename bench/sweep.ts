/**
 * A sweep over a workspace of many models: builds, in a temp folder, `--models` (50)
 * tiny workspaces (an MLP 8-32-3 with its own random weights, 200 member and 200
 * non-member CSV records, a privacy-audit.json with threshold attacks and, with
 * --shadows N, LiRA on N shadow models), then audits every manifest through the engine
 * (auditTarget, as the CLI and the server do) with at most `--concurrency` (2) audits in
 * flight, and reports wall time, peak RSS and peak V8 heap (sampled every 20 ms) and
 * whether memory stayed bounded: the peak RSS over the second half of the sweep is
 * compared with the first half's (a leak grows with the number of models audited).
 * Prints ONE JSON line.
 *
 *   node --import tsx bench/sweep.ts [--models 50] [--concurrency 2] [--shadows 0]
 *
 * The engine itself never audits many manifests at once: the server's sweep
 * (AuditService.sweep) audits targets one after another and its AuditScheduler bounds
 * the audit threads; the CLI audits one manifest per call. This bench drives the engine
 * the way a script auditing a model zoo would, with its own bound.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { auditTarget } from '../src/engine/audit';
import { initBackend } from '../src/engine/backend';
import { layersModelFileWriter } from '../src/engine/artifacts/models/tfjs-layers-files';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const MODELS = arg('models', 50);
const CONCURRENCY = arg('concurrency', 2);
const SHADOWS = arg('shadows', 0);
const FEATURES = 8;
const CLASSES = 3;

function csv(file: string, rows: number, seed: number): void {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const lines = [[...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',')];
  for (let r = 0; r < rows; r++) lines.push([...Array.from({ length: FEATURES }, () => (rand() * 2 - 1).toFixed(5)), Math.floor(rand() * CLASSES)].join(','));
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

async function buildWorkspace(root: string): Promise<string[]> {
  const manifests: string[] = [];
  for (let m = 0; m < MODELS; m++) {
    const dir = path.join(root, `model-${String(m).padStart(2, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [FEATURES], units: 32, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: m + 1 }) }),
        tfl.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1000 + m }) }),
      ],
    });
    await model.save(layersModelFileWriter(path.join(dir, 'model')));
    model.dispose();
    csv(path.join(dir, 'train.csv'), 200, 2 * m + 1);
    csv(path.join(dir, 'test.csv'), 200, 2 * m + 2);
    const attacks = ['loss-threshold', 'confidence-threshold', 'entropy-threshold', ...(SHADOWS > 0 ? ['lira-offline'] : [])];
    const manifest = path.join(dir, 'privacy-audit.json');
    fs.writeFileSync(manifest, JSON.stringify({
      version: 1,
      audits: [{
        name: `model-${m}`, model: 'model/model.json', members: 'train.csv', nonMembers: 'test.csv', label: 'label', attacks,
        ...(SHADOWS > 0 ? { shadow: { count: SHADOWS, epochs: 2, trainSize: 150 } } : {}),
        policy: { rules: [{ metric: 'auc', max: 0.6, severity: 'high' }] },
      }],
    }));
    manifests.push(manifest);
  }
  return manifests;
}

/** Runs `work` over `items` with at most `limit` in flight, in order of start. */
async function bounded<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sweep-'));
  try {
    const manifests = await buildWorkspace(root);
    tf.disposeVariables();
    global.gc?.();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    let inFlight = 0;
    let maxInFlight = 0;
    let done = 0;
    const halfPeak = [0, 0];
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
      const half = done < manifests.length / 2 ? 0 : 1;
      halfPeak[half] = Math.max(halfPeak[half], m.rss);
    }, 20);
    const started = Date.now();
    let findings = 0;
    await bounded(manifests, CONCURRENCY, async (manifest) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        const report = await auditTarget(manifest, { backend: 'wasm', workers: 1, cacheDir: path.join(root, 'shadow-cache') });
        if (report.audits.length !== 1) throw new Error(`${manifest}: expected one audit, got ${report.audits.length} (${report.findings.map((f) => f.message).join('; ')})`);
        findings += report.findings.length;
      } finally {
        inFlight--;
        done++;
      }
    });
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    const mib = (b: number) => +(b / 2 ** 20).toFixed(1);
    process.stdout.write(JSON.stringify({
      bench: 'sweep',
      models: MODELS, concurrency: CONCURRENCY, maxInFlight, shadowsPerModel: SHADOWS,
      seconds: +seconds.toFixed(1), modelsPerMinute: +(MODELS / seconds * 60).toFixed(1), findings,
      baselineRssMiB: mib(baseline.rss), peakRssMiB: mib(peakRss), peakHeapUsedMiB: mib(peakHeap),
      peakRssFirstHalfMiB: mib(halfPeak[0]), peakRssSecondHalfMiB: mib(halfPeak[1]),
      cores: os.cpus().length, loadAverage1m: +os.loadavg()[0].toFixed(2),
    }) + '\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench/sweep: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
