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
 *
 * `--cnn` runs the convolutional workload instead (bench/shadow-cnn.ts, its own options).
 *
 * DP-SGD row (`dpSgd` in the JSON; `--dp-sgd-only` runs just this row, which needs no
 * Fashion-MNIST): DP-SGD training of an MLP 784-128-10 (relu, softmax) on 1,000
 * synthetic records (uniform features, labels from a random linear teacher: speed does
 * not depend on the data), batch 128 (Poisson rate 0.128), noise 1.1, clip 1, Adam 1e-3,
 * all on one thread. Ours vectorised: trainDefendedModel('dp-sgd'), --dp-epochs epochs
 * (default 5). Ours per-example loop: the same run on the same architecture with an
 * identity Dropout(0) layer, which sends it down the generic per-example tf.variableGrads
 * path; one epoch (it is slow). PyTorch (bench/torch_dpsgd.py, 1 thread), the same
 * epochs as ours vectorised, twice: `torch` with functorch vmap per-sample gradients (the
 * usual way, materialising every example's gradient), and `torchFactorised` with our
 * factorised trick written in torch (same algorithm, so it compares implementations). Rates are training
 * samples per second (Poisson-sampled records processed / seconds); ours include model
 * build and save, torch only the step loop. Ratios: vectorised / loop and ours / torch.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../src/engine/artifacts/dataset';
import { loadDataset } from '../src/engine/artifacts/datasets';
import { initBackend } from '../src/engine/backend';
import { trainDefendedModel, type DefendedTrainingRequest } from '../src/engine/defenses/training';
import { deriveSeed, makeRandom } from '../src/engine/shadow/random';
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
  dpEpochs: number;
  dpSgdOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { epochs: 10, batchSize: 128, shadows: 16, workers: 0, repeat: 3, skipTorch: false, dpEpochs: 5, dpSgdOnly: false };
  const numeric: Record<string, keyof Options> = {
    '--epochs': 'epochs', '--batch-size': 'batchSize', '--shadows': 'shadows', '--workers': 'workers', '--repeat': 'repeat',
    '--dp-epochs': 'dpEpochs',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = numeric[argv[i]];
    if (key !== undefined) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0) throw new Error(`${argv[i - 1]} needs a non-negative integer`);
      (options[key] as number) = value;
    } else if (argv[i] === '--skip-torch') options.skipTorch = true;
    else if (argv[i] === '--dp-sgd-only') options.dpSgdOnly = true;
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

const DP = { records: 1000, inputSize: 784, hidden: 128, classes: 10, batchSize: 128, noiseMultiplier: 1.1, clipNorm: 1, learningRate: 1e-3 };

/** Synthetic records: uniform features, labels = argmax of a random linear teacher. */
function dpSgdData(): Dataset {
  const random = makeRandom(deriveSeed(SEED, 'bench-dp-sgd'));
  const features = Float32Array.from({ length: DP.records * DP.inputSize }, () => random());
  const teacher = Float32Array.from({ length: DP.inputSize * DP.classes }, () => random() * 2 - 1);
  const labels = new Int32Array(DP.records);
  for (let i = 0; i < DP.records; i++) {
    let bestScore = -Infinity;
    for (let c = 0; c < DP.classes; c++) {
      let score = 0;
      for (let j = 0; j < DP.inputSize; j++) score += features[i * DP.inputSize + j] * teacher[j * DP.classes + c];
      if (score > bestScore) [bestScore, labels[i]] = [score, c];
    }
  }
  return { source: 'synthetic', count: DP.records, featureShape: [DP.inputSize], features, labels };
}

/** An architecture-only model.json; `identityDropout` adds Dropout(0), which forces the per-example loop. */
function writeDpArchitecture(dir: string, identityDropout: boolean): string {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ inputShape: [DP.inputSize], units: DP.hidden, activation: 'relu' }));
  if (identityDropout) model.add(tfl.layers.dropout({ rate: 0 }));
  model.add(tfl.layers.dense({ units: DP.classes, activation: 'softmax' }));
  const file = path.join(dir, identityDropout ? 'dp-loop-model.json' : 'dp-model.json');
  fs.writeFileSync(file, JSON.stringify({ format: 'layers-model', modelTopology: model.toJSON(null, false), weightsManifest: [] }));
  model.dispose();
  return file;
}

async function runOursDpSgd(data: Dataset, architectureFile: string, epochs: number, scratch: string): Promise<Side> {
  const request: DefendedTrainingRequest = {
    architectureFile, targetModelFile: architectureFile, members: data, numClasses: DP.classes, workers: 0,
    cacheDir: fs.mkdtempSync(path.join(scratch, 'dp-cache-')),
    defense: {
      name: 'dp-sgd', params: { noiseMultiplier: DP.noiseMultiplier, clipNorm: DP.clipNorm, delta: 1e-5 },
      train: { epochs, batchSize: DP.batchSize, learningRate: DP.learningRate, optimizer: 'adam', seed: SEED },
    },
  };
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const out = await trainDefendedModel(request);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  out.classifier.dispose();
  fs.rmSync(request.cacheDir, { recursive: true, force: true });
  return {
    samplesPerSecond: out.samplesPerSecond, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, samples: out.samples, epochs,
    epsilon: out.dp?.epsilon, steps: out.dp?.steps, notes: out.notes,
  };
}

function runTorchDpSgd(data: Dataset, epochs: number, scratch: string, method: 'per-sample' | 'factorised'): Side {
  const dataPath = path.join(scratch, 'dp-data.bin');
  fs.writeFileSync(dataPath, Buffer.concat([Buffer.from(data.features.buffer), Buffer.from(data.labels.buffer)]));
  const configFile = path.join(scratch, 'torch-dp-config.json');
  fs.writeFileSync(configFile, JSON.stringify({
    dataPath, count: DP.records, inputSize: DP.inputSize, hidden: DP.hidden, classes: DP.classes, epochs,
    batchSize: DP.batchSize, learningRate: DP.learningRate, noiseMultiplier: DP.noiseMultiplier, clipNorm: DP.clipNorm, seed: SEED, threads: 1,
    method,
  }));
  const result = spawnSync('/usr/bin/python3', [path.join(__dirname, 'torch_dpsgd.py'), configFile], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`torch_dpsgd.py failed (${result.status}): ${result.stderr || result.error?.message}`);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Side;
}

async function dpSgdRow(options: Options, scratch: string): Promise<Record<string, unknown>> {
  const data = dpSgdData();
  const vectorised = await runOursDpSgd(data, writeDpArchitecture(scratch, false), options.dpEpochs, scratch);
  const loop = await runOursDpSgd(data, writeDpArchitecture(scratch, true), 1, scratch);
  const torch = options.skipTorch ? undefined : runTorchDpSgd(data, options.dpEpochs, scratch, 'per-sample');
  const torchFactorised = options.skipTorch ? undefined : runTorchDpSgd(data, options.dpEpochs, scratch, 'factorised');
  return {
    workload: {
      model: `MLP ${DP.inputSize}-${DP.hidden}-${DP.classes} (relu, softmax)`, data: 'synthetic', records: DP.records,
      batchSize: DP.batchSize, samplingRate: DP.batchSize / DP.records, noiseMultiplier: DP.noiseMultiplier, clipNorm: DP.clipNorm,
      optimizer: 'adam', learningRate: DP.learningRate, threads: 1,
    },
    oursVectorised: vectorised,
    oursPerExampleLoop: loop,
    torch: torch ?? null,
    torchFactorised: torchFactorised ?? null,
    ratioVectorisedVsLoop: vectorised.samplesPerSecond / loop.samplesPerSecond,
    ratioVsTorch: torch ? vectorised.samplesPerSecond / torch.samplesPerSecond : null,
    ratioVsTorchFactorised: torchFactorised ? vectorised.samplesPerSecond / torchFactorised.samplesPerSecond : null,
    // The machine is shared: samples per CPU-second is the steadier comparison.
    ratioVsTorchPerCpuSecond: torch
      ? (vectorised.samples as number / (vectorised.cpuSeconds as number)) / ((torch.samples as number) / (torch.cpuSeconds as number))
      : null,
  };
}

function best(runs: Side[]): Side {
  const fastest = runs.reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a));
  return { ...fastest, allRuns: runs.map((r) => Math.round(r.samplesPerSecond)) };
}

async function main(): Promise<void> {
  if (process.argv.includes('--cnn')) {
    // The convolutional workload has its own peer and options (bench/shadow-cnn.ts).
    const { main: cnnMain } = await import('./shadow-cnn');
    await cnnMain(process.argv.slice(2).filter((a) => a !== '--cnn'));
    return;
  }
  const options = parseArgs(process.argv.slice(2));
  if (options.dpSgdOnly) {
    await initBackend('auto');
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dp-sgd-'));
    try {
      console.log(JSON.stringify({ dpSgd: await dpSgdRow(options, scratch), loadAverageAtStart: Number(os.loadavg()[0].toFixed(2)), peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    return;
  }
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
    const dpSgd = await dpSgdRow(options, scratch);
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
      dpSgd,
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
