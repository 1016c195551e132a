/**
 * How a convolutional shadow-model audit scales: seconds and peak RSS for shadows
 * 8/16/32/64 x audit records 5k/20k, each cell in its own child process (so its peak RSS,
 * process.resourceUsage().maxRSS, worker threads included, is that cell's alone).
 *
 *   npm run bench:scale [-- --shadows 8,16,32,64 --records 5000,20000 --workers 0
 *        --queries identity[,mirror,shift] --lean]
 *
 * One cell: Fashion-MNIST (Debian's dataset-fashion-mnist) as 28x28x1 records, `records`
 * audit records and records/4 population records, trainSize records/2, a small CNN
 * (conv3x3x8 'same' ReLU, max pool 2, flatten, dense 10 softmax), 1 epoch, batch 128,
 * Adam, identity query (--queries adds others), an empty cache: trainShadowModels
 * (training, scoring, cache writes; with --lean trainShadowSummaries, which keeps per
 * shadow only what the attacks read), then LiRA online and RMIA offline with shadow 0 as the target model and the
 * other shadows as its references (the attacks' arithmetic at full size, as in Carlini et
 * al.'s evaluation, where the target is one more shadow).
 *
 * Prints one JSON line per cell, then a markdown table and the least-squares fit
 * seconds = a + b x shadows x records, with the CIFAR-10-sized extrapolation.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Dataset } from '../src/engine/artifacts/dataset';
import type { QueryName } from '../src/engine/attacks/augmentations';
import { readCachedShadow, type CacheHeader, type CachedShadow } from '../src/engine/shadow/cache';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const IMAGES = `${FASHION_DIR}/train-images-idx3-ubyte.gz`;
const LABELS = `${FASHION_DIR}/train-labels-idx1-ubyte.gz`;
const CLASSES = 10;
const SEED = 7;
/** CIFAR-10: 50,000 training records of 32x32x3 against our 28x28x1. */
const CIFAR_RECORDS = 50_000;
const CIFAR_VALUES = 32 * 32 * 3;
const FASHION_VALUES = 28 * 28;
const CIFAR_SHADOWS = 64;
const QUEUE_WORKERS = [4, 16];

interface Cell {
  records: number;
  shadows: number;
  seconds: number;
  trainSeconds: number;
  attackSeconds: number;
  peakRssMiB: number;
  /** RSS, heap and the process's peak RSS so far after each phase (MiB): where the memory is. */
  phases: Record<string, Phase>;
  queries: number;
  lean: boolean;
  trainer: string;
  workers: number;
  loadAverageAtStart: number;
}

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}

interface Phase {
  rssMiB: number;
  heapMiB: number;
  arrayBuffersMiB: number;
  peakSoFarMiB: number;
}

/** After a full collection (the child runs with --expose-gc), so the heap figures count what is held, not garbage. */
function phase(): Phase {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed), arrayBuffersMiB: mib(m.arrayBuffers), peakSoFarMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

interface CellOptions {
  workers: number;
  queries: QueryName[];
  lean: boolean;
}

function slice(d: Dataset, from: number, to: number): Dataset {
  const size = 28 * 28;
  return { ...d, count: to - from, featureShape: [28, 28, 1], features: d.features.slice(from * size, to * size), labels: d.labels.slice(from, to) };
}

async function writeArchitecture(dir: string): Promise<string> {
  const tfl = await import('@tensorflow/tfjs-layers');
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, JSON.stringify({ format: 'layers-model', modelTopology: model.toJSON(null, false), weightsManifest: [] }));
  model.dispose();
  return file;
}

/** One cell, in this (child) process. */
async function runCell(records: number, shadows: number, { workers, queries, lean }: CellOptions): Promise<Cell> {
  const { loadDataset } = await import('../src/engine/artifacts/datasets');
  const { initBackend } = await import('../src/engine/backend');
  const { trainShadowModels, trainShadowSummaries } = await import('../src/engine/shadow');
  const { shadowSignals, rmiaInput } = await import('../src/engine/audit/shadow-attack-inputs');
  type ShadowEvidence = import('../src/engine/audit/shadow-attack-inputs').ShadowEvidence;
  const { liraScores } = await import('../src/engine/attacks/lira');
  const { rmiaScores, RMIA_DEFAULT_GAMMA, RMIA_DEFAULT_OFFLINE_A } = await import('../src/engine/attacks/rmia');
  const loadAverageAtStart = Number(os.loadavg()[0].toFixed(2));
  await initBackend('auto');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  const phases: Cell['phases'] = {};
  try {
    const populationCount = Math.floor(records / 4);
    const all = await loadDataset({ path: IMAGES, labelsPath: LABELS, scale: 1 / 255 });
    const audit = slice(all, 0, records);
    const population = slice(all, records, records + populationCount);
    const architectureFile = await writeArchitecture(scratch);
    phases.loaded = phase();

    const started = performance.now();
    const request = {
      architectureFile, auditRecords: audit, population, numClasses: CLASSES, cacheDir: path.join(scratch, 'cache'),
      settings: {
        count: shadows, epochs: 1, batchSize: 128, learningRate: 1e-3, optimizer: 'adam' as const,
        seed: SEED, trainSize: Math.floor(records / 2), queries, workers,
      },
    };
    // The target's outputs are shadow 0's (copied, so the lean run holds no class vectors but these).
    let out: Awaited<ReturnType<typeof trainShadowSummaries>>;
    let refs: ShadowEvidence;
    let targetAudit: Float32Array;
    let targetPopulation: Float32Array;
    const references = shadows - 1;
    const keep = new Uint8Array(records * references);
    if (lean) {
      const summaries = await trainShadowSummaries(request);
      out = summaries;
      // Shadow 0's class vectors (the target's outputs) from its cache file.
      const zero = readShadowZero(request.cacheDir);
      targetAudit = zero.auditProbabilities;
      targetPopulation = zero.populationProbabilities!;
      refs = { shadows: references, queries: out.queries, numClasses: CLASSES, keep, summaries: summaries.summaries.slice(1) };
    } else {
      const full = await trainShadowModels(request);
      out = { ...full, summaries: [] };
      targetAudit = full.auditProbabilities[0];
      targetPopulation = full.populationProbabilities![0];
      refs = {
        shadows: references, queries: full.queries, numClasses: CLASSES, keep,
        auditProbabilities: full.auditProbabilities.slice(1), populationProbabilities: full.populationProbabilities?.slice(1),
      };
    }
    const trained = performance.now();
    phases.trained = phase();
    if (out.trainer !== 'cnn') throw new Error(`expected the convolutional trainer, got ${out.trainer} (${out.trainerNote})`);

    // Shadow 0 is the target; the others are its references.
    for (let r = 0; r < records; r++) for (let s = 1; s < shadows; s++) keep[r * references + s - 1] = out.keep[r * shadows + s];
    const target = { records, queries: out.queries, probabilities: targetAudit };
    const lira = liraScores('lira-online', { ...shadowSignals(refs, target, audit.labels, 'lira-statistic'), keep });
    phases.lira = phase();
    const rmia = rmiaScores(rmiaInput(refs, target, audit.labels, { probabilities: targetPopulation, labels: population.labels }),
      { mode: 'offline', offlineA: RMIA_DEFAULT_OFFLINE_A, gamma: RMIA_DEFAULT_GAMMA });
    const done = performance.now();
    phases.attacks = phase();
    if (lira.scores.length !== records || rmia.length !== records) throw new Error('attack scores have the wrong length');
    return {
      records, shadows,
      seconds: (done - started) / 1000, trainSeconds: (trained - started) / 1000, attackSeconds: (done - trained) / 1000,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), phases,
      trainer: out.trainer, workers: out.workers, loadAverageAtStart, queries: out.queries, lean,
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Shadow 0's outputs from its cache file, found by the header every file starts with. */
function readShadowZero(cacheDir: string): CachedShadow {
  for (const name of fs.readdirSync(cacheDir)) {
    if (!/^shadow-[0-9a-f]{64}\.bin$/.test(name)) continue;
    const head = Buffer.alloc(4096);
    const fd = fs.openSync(path.join(cacheDir, name), 'r');
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    const header = JSON.parse(head.subarray(12, 12 + head.readUInt32LE(8)).toString('utf8')) as CacheHeader;
    if (header.shadow !== 0) continue;
    const cached = readCachedShadow(cacheDir, header);
    if (cached !== undefined) return cached;
  }
  throw new Error(`no intact cache file of shadow 0 in ${cacheDir}`);
}

function runChild(records: number, shadows: number, options: CellOptions): Promise<Cell> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', __filename, '--cell', String(records), String(shadows), JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`cell ${records} x ${shadows} exited with code ${code}: ${stdout}`));
      else resolve(JSON.parse(line) as Cell);
    });
  });
}

/** Least squares seconds = a + b x (shadows x records). */
function fit(cells: Cell[]): { a: number; b: number; r2: number } {
  const xs = cells.map((c) => c.shadows * c.records);
  const ys = cells.map((c) => c.seconds);
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const b = sxy / sxx;
  return { a: my - b * mx, b, r2: (sxy * sxy) / (sxx * syy) };
}

function list(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const out = value.split(',').map(Number);
  if (out.some((v) => !Number.isInteger(v) || v < 2)) throw new Error(`expected a comma-separated list of integers >= 2, got ${value}`);
  return out;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--cell') {
    console.log(JSON.stringify(await runCell(Number(argv[1]), Number(argv[2]), JSON.parse(argv[3]) as CellOptions)));
    return;
  }
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = ['--shadows', '--records', '--workers', '--queries', '--lean'];
  for (const a of argv) if (a.startsWith('--') && !known.includes(a)) throw new Error(`unknown option ${a} (${known.join(', ')})`);
  if (!fs.existsSync(IMAGES) || !fs.existsSync(LABELS)) throw new Error(`Fashion-MNIST not found in ${FASHION_DIR} (apt-get install dataset-fashion-mnist)`);
  const shadowCounts = list(option('--shadows'), [8, 16, 32, 64]);
  const recordCounts = list(option('--records'), [5000, 20000]);
  const options: CellOptions = {
    workers: Number(option('--workers') ?? 0),
    queries: (option('--queries') ?? 'identity').split(',') as QueryName[],
    lean: argv.includes('--lean'),
  };
  const cells: Cell[] = [];
  for (const records of recordCounts) {
    for (const shadows of shadowCounts) {
      const cell = await runChild(records, shadows, options);
      console.log(JSON.stringify(cell));
      cells.push(cell);
    }
  }
  console.log('\n| shadows | ' + recordCounts.map((r) => `${r / 1000}k records: s / peak RSS`).join(' | ') + ' |');
  console.log('|---:|' + recordCounts.map(() => '---:').join('|') + '|');
  for (const shadows of shadowCounts) {
    const row = recordCounts.map((records) => {
      const c = cells.find((x) => x.records === records && x.shadows === shadows)!;
      return `${c.seconds.toFixed(1)} s / ${c.peakRssMiB} MiB`;
    });
    console.log(`| ${shadows} | ${row.join(' | ')} |`);
  }
  if (cells.length >= 2) {
    const { a, b, r2 } = fit(cells);
    const perShadowRecordUs = b * 1e6;
    // Extrapolation: cost per shadow x record scaled by the input size (32x32x3 vs 28x28x1 values).
    const cifarWork = b * CIFAR_SHADOWS * CIFAR_RECORDS * (CIFAR_VALUES / FASHION_VALUES);
    const cifar = a + cifarWork;
    // N queue workers share the shadows; the per-audit constant does not shrink.
    const onWorkers = (n: number): number => a + cifarWork / n;
    console.log(`\nfit: seconds = ${a.toFixed(1)} + ${perShadowRecordUs.toFixed(2)} us x shadows x records (r^2 = ${r2.toFixed(4)})`);
    console.log(`extrapolated CIFAR-10-sized audit (${CIFAR_RECORDS} records of 32x32x3, ${CIFAR_SHADOWS} shadows, this CNN widened to 3 channels, cost per record scaled by ${(CIFAR_VALUES / FASHION_VALUES).toFixed(2)}x the input values): ` +
      `${(cifar / 60).toFixed(0)} min here; ` + QUEUE_WORKERS.map((n) => `${(onWorkers(n) / 60).toFixed(1)} min on ${n} queue workers like this machine`).join(', '));
    console.log(JSON.stringify({ fit: { interceptSeconds: a, microsecondsPerShadowRecord: perShadowRecordUs, r2 }, cifarSeconds: cifar, cifarSecondsOnQueueWorkers: Object.fromEntries(QUEUE_WORKERS.map((n) => [n, onWorkers(n)])) }));
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
