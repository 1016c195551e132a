/**
 * Shadow-model training speed: this engine against PyTorch on the same workload, in the
 * same run. Prints ONE JSON line.
 *
 *   node --import tsx bench/shadow.ts [--epochs 10] [--batch-size 128] [--shadows 16]
 *        [--workers 0] [--repeat 3] [--skip-torch]
 *
 * Workload: MLP 784-256-10 (relu, softmax), `shadows` shadow models of 2,000 training
 * records each from Fashion-MNIST (Debian's dataset-fashion-mnist), Adam (lr 1e-3),
 * scored afterwards on 4,000 audit and 4,000 population records. Both sides train the
 * very same record sets (our keep matrix and population fill) for the same epochs and
 * batch size. Ours: trainShadowModels with an empty cache, one worker per core, timed
 * around the whole call (worker start-up included). PyTorch (bench/torch_shadow.py,
 * /usr/bin/python3, torch.set_num_threads(2), OPENBLAS_NUM_THREADS=1): timed around
 * training and scoring (interpreter start, import and data loading excluded).
 * samplesPerSecond = training samples (records x epochs, summed over shadows) / seconds;
 * cpuSeconds = the process's CPU time over the same span (all threads).
 * Each side runs --repeat times (default 3), alternating, and its fastest run counts: the
 * machine is shared, and other work only ever slows a run down. Every run's rate is listed
 * (allRuns), and the 1-minute load average at the start is reported.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../src/engine/artifacts/dataset';
import { loadDataset } from '../src/engine/artifacts/datasets';
import { initBackend } from '../src/engine/backend';
import { keepMatrix, trainShadowModels, type ShadowSettings } from '../src/engine/shadow';
import { kernelsUseFma } from '../src/engine/shadow/simd-kernels';
import { buildTrainingSets } from '../src/engine/shadow/training-sets';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const IMAGES = `${FASHION_DIR}/train-images-idx3-ubyte.gz`;
const LABELS = `${FASHION_DIR}/train-labels-idx1-ubyte.gz`;
const AUDIT_RECORDS = 4000;
const POPULATION_RECORDS = 4000;
const TRAIN_SIZE = 2000;
const HIDDEN = 256;
const CLASSES = 10;
const SEED = 1;

interface Options {
  epochs: number;
  batchSize: number;
  shadows: number;
  workers: number;
  repeat: number;
  skipTorch: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { epochs: 10, batchSize: 128, shadows: 16, workers: 0, repeat: 3, skipTorch: false };
  const numeric: Record<string, keyof Options> = {
    '--epochs': 'epochs', '--batch-size': 'batchSize', '--shadows': 'shadows', '--workers': 'workers', '--repeat': 'repeat',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = numeric[argv[i]];
    if (key !== undefined) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0) throw new Error(`${argv[i - 1]} needs a non-negative integer`);
      (options[key] as number) = value;
    } else if (argv[i] === '--skip-torch') options.skipTorch = true;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return options;
}

function slice(d: Dataset, from: number, to: number): Dataset {
  const size = d.featureShape.reduce((a, b) => a * b, 1);
  return { ...d, count: to - from, features: d.features.slice(from * size, to * size), labels: d.labels.slice(from, to) };
}

/** A model.json holding only the architecture (shadows never read the target's weights). */
function writeArchitecture(dir: string): string {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ inputShape: [784], units: HIDDEN, activation: 'relu' }));
  model.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, JSON.stringify({ format: 'layers-model', modelTopology: model.toJSON(null, false), weightsManifest: [] }));
  model.dispose();
  return file;
}

interface Side {
  samplesPerSecond: number;
  seconds: number;
  [key: string]: unknown;
}

async function runOurs(architectureFile: string, audit: Dataset, population: Dataset, settings: ShadowSettings, scratch: string): Promise<Side> {
  const cacheDir = fs.mkdtempSync(path.join(scratch, 'cache-'));
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const out = await trainShadowModels({ architectureFile, auditRecords: audit, population, numClasses: CLASSES, settings, cacheDir });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  fs.rmSync(cacheDir, { recursive: true, force: true });
  if (out.trained !== settings.count) throw new Error(`expected ${settings.count} trained shadows, got ${out.trained}`);
  const samples = trainingSets(settings).members.reduce((sum, m) => sum + m.length * settings.epochs, 0);
  return {
    samplesPerSecond: samples / seconds, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, samples,
    backend: out.backend, fusedMultiplyAdd: kernelsUseFma(), workers: out.workers, trainer: out.trainer,
  };
}

/** The record sets our engine trains; audit records are Fashion-MNIST 0..3999, population 4000..7999. */
function trainingSets(settings: ShadowSettings): ReturnType<typeof buildTrainingSets> {
  const keep = keepMatrix(AUDIT_RECORDS, settings.count, settings.seed);
  return buildTrainingSets(keep, AUDIT_RECORDS, POPULATION_RECORDS, settings.count, settings.trainSize, settings.seed);
}

function runTorch(settings: ShadowSettings, scratch: string): Side {
  const sets = trainingSets(settings);
  const config = {
    imagesPath: IMAGES,
    labelsPath: LABELS,
    auditIndices: Array.from({ length: AUDIT_RECORDS }, (_, i) => i),
    populationIndices: Array.from({ length: POPULATION_RECORDS }, (_, i) => AUDIT_RECORDS + i),
    trainingSets: sets.members.map((m) => Array.from(m)),
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    hidden: HIDDEN,
    classes: CLASSES,
    seed: settings.seed,
    threads: 2,
  };
  const configFile = path.join(scratch, 'torch-config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const result = spawnSync('/usr/bin/python3', [path.join(__dirname, 'torch_shadow.py'), configFile], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`torch_shadow.py failed (${result.status}): ${result.stderr || result.error?.message}`);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Side;
}

function best(runs: Side[]): Side {
  const fastest = runs.reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a));
  return { ...fastest, allRuns: runs.map((r) => Math.round(r.samplesPerSecond)) };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(IMAGES) || !fs.existsSync(LABELS)) {
    throw new Error(`Fashion-MNIST not found in ${FASHION_DIR} (apt-get install dataset-fashion-mnist)`);
  }
  const loadAtStart = os.loadavg()[0];
  await initBackend('auto');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-shadow-'));
  try {
    const all = await loadDataset({ path: IMAGES, labelsPath: LABELS, scale: 1 / 255 });
    const audit = slice(all, 0, AUDIT_RECORDS);
    const population = slice(all, AUDIT_RECORDS, AUDIT_RECORDS + POPULATION_RECORDS);
    const architectureFile = writeArchitecture(scratch);
    const settings: ShadowSettings = {
      count: options.shadows, epochs: options.epochs, batchSize: options.batchSize, learningRate: 1e-3, optimizer: 'adam',
      seed: SEED, trainSize: TRAIN_SIZE, queries: ['identity'], workers: options.workers,
    };
    const ours: Side[] = [];
    const torch: Side[] = [];
    for (let r = 0; r < Math.max(1, options.repeat); r++) {
      ours.push(await runOurs(architectureFile, audit, population, settings, scratch));
      if (!options.skipTorch) torch.push(runTorch(settings, scratch));
    }
    const oursBest = best(ours);
    const torchBest = torch.length > 0 ? best(torch) : undefined;
    console.log(JSON.stringify({
      workload: {
        model: `MLP 784-${HIDDEN}-${CLASSES} (relu, softmax)`, data: 'Fashion-MNIST', shadows: settings.count,
        trainRecordsPerShadow: TRAIN_SIZE, epochs: settings.epochs, batchSize: settings.batchSize, optimizer: 'adam',
        learningRate: settings.learningRate, scoredRecords: AUDIT_RECORDS + POPULATION_RECORDS, cores: os.cpus().length,
        repeat: Math.max(1, options.repeat), loadAverageAtStart: Number(loadAtStart.toFixed(2)),
      },
      ours: oursBest,
      torch: torchBest ?? null,
      ratioVsTorch: torchBest ? oursBest.samplesPerSecond / torchBest.samplesPerSecond : null,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    }));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exitCode = 1;
});
