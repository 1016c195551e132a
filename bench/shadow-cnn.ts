/**
 * Convolutional shadow-model training speed: our convolutional trainer (cnn-trainer.ts,
 * our WebAssembly SIMD kernels) against PyTorch on the same workload, in the same run.
 * Prints ONE JSON line. Run through bench/shadow.ts:
 *
 *   npm run bench:shadow -- --cnn [--epochs 3] [--batch-size 128] [--shadows 4]
 *        [--workers 0] [--repeat 2] [--skip-torch]
 *
 * Workload: bench/kernels.ts's CNN (conv3x3x16 'same' ReLU, max pool 2, conv3x3x32
 * 'same' ReLU, max pool 2, flatten, dense 10 softmax), `shadows` shadow models of 2,000
 * Fashion-MNIST training records each (Debian's dataset-fashion-mnist), Adam (lr 1e-3),
 * scored afterwards on 4,000 audit and 4,000 population records. Both sides train the
 * very same record sets for the same epochs and batch size. Ours: trainShadowModels
 * with an empty cache, one worker per core (worker start-up, TF.js's seeded initial
 * weights and scoring included). PyTorch (bench/torch_shadow_cnn.py, /usr/bin/python3):
 * one process per core, one thread each, the shadows shared out among them and started
 * together, timed around training and scoring (the slowest process counts); see runTorch.
 * samplesPerSecond = training samples / seconds. gflops = the arithmetic of the products
 * (2 x M x N x K per convolution and dense product: forward, filter gradient, and input
 * gradient except for the first layer; forward only for scoring) / seconds, against the
 * machine's peak (2 cores x AVX2 FMA, about 157 GFLOP/s). Each side runs --repeat times,
 * alternating; the fastest run counts (the machine is shared), every run is listed.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../src/engine/artifacts/dataset';
import { loadDataset } from '../src/engine/artifacts/datasets';
import { initBackend } from '../src/engine/backend';
import { keepMatrix, trainShadowModels, type ShadowSettings } from '../src/engine/shadow';
import { cnnSpecOf, isCnnSpec, type CnnSpec } from '../src/engine/shadow/cnn-architecture';
import { kernelsUseFma } from '../src/engine/shadow/simd-kernels';
import { buildTrainingSets } from '../src/engine/shadow/training-sets';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const IMAGES = `${FASHION_DIR}/train-images-idx3-ubyte.gz`;
const LABELS = `${FASHION_DIR}/train-labels-idx1-ubyte.gz`;
const AUDIT_RECORDS = 4000;
const POPULATION_RECORDS = 4000;
const TRAIN_SIZE = 2000;
const CLASSES = 10;
const SEED = 1;
const PEAK_GFLOPS = 157;

interface Options {
  epochs: number;
  batchSize: number;
  shadows: number;
  workers: number;
  repeat: number;
  skipTorch: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { epochs: 3, batchSize: 128, shadows: 4, workers: 0, repeat: 2, skipTorch: false };
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
    else throw new Error(`unknown option ${argv[i]} (with --cnn: --epochs, --batch-size, --shadows, --workers, --repeat, --skip-torch)`);
  }
  return options;
}

function slice(d: Dataset, from: number, to: number): Dataset {
  const size = d.featureShape.reduce((a, b) => a * b, 1);
  return { ...d, count: to - from, featureShape: [28, 28, 1], features: d.features.slice(from * size, to * size), labels: d.labels.slice(from, to) };
}

function topology(): Record<string, unknown> {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
  const json = model.toJSON(null, false) as unknown as Record<string, unknown>;
  model.dispose();
  return json;
}

/** Floating-point operations of the products for one record: forward, and a whole training step. */
function flopsPerRecord(spec: CnnSpec): { forward: number; training: number } {
  let forward = 0;
  let training = 0;
  spec.layers.forEach((l, i) => {
    let f = 0;
    if (l.kind === 'conv') f = 2 * l.output.h * l.output.w * l.output.c * l.kh * l.kw * l.input.c;
    if (l.kind === 'dense') f = 2 * l.inSize * l.units;
    forward += f;
    training += f * (i === 0 ? 2 : 3);
  });
  return { forward, training };
}

interface Side {
  samplesPerSecond: number;
  seconds: number;
  [key: string]: unknown;
}

function trainingSets(settings: ShadowSettings): ReturnType<typeof buildTrainingSets> {
  const keep = keepMatrix(AUDIT_RECORDS, settings.count, settings.seed);
  return buildTrainingSets(keep, AUDIT_RECORDS, POPULATION_RECORDS, settings.count, settings.trainSize, settings.seed);
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
  if (out.trainer !== 'cnn') throw new Error(`expected the convolutional trainer, got ${out.trainer} (${out.trainerNote})`);
  const samples = trainingSets(settings).members.reduce((sum, m) => sum + m.length * settings.epochs, 0);
  return {
    samplesPerSecond: samples / seconds, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, samples,
    backend: out.backend, fusedMultiplyAdd: kernelsUseFma(), workers: out.workers, trainer: out.trainer,
  };
}

/**
 * PyTorch, one process per core with one thread each (each training its share of the
 * shadows, started together), the way our workers run; on this machine under load that
 * measured 4x more samples per CPU-second than one process with two threads (557 vs
 * 2,378 on this CNN). `threads` > 1 runs one process with that many threads instead.
 */
async function runTorch(settings: ShadowSettings, scratch: string, processes: number, threads: number): Promise<Side> {
  const sets = trainingSets(settings).members.map((m) => Array.from(m));
  const shares = Array.from({ length: processes }, (_, p) => sets.filter((_, s) => s % processes === p)).filter((share) => share.length > 0);
  const children = shares.map((share, p) => {
    const configFile = path.join(scratch, `torch-cnn-config-${p}.json`);
    fs.writeFileSync(configFile, JSON.stringify({
      imagesPath: IMAGES, labelsPath: LABELS,
      auditIndices: Array.from({ length: AUDIT_RECORDS }, (_, i) => i),
      populationIndices: Array.from({ length: POPULATION_RECORDS }, (_, i) => AUDIT_RECORDS + i),
      trainingSets: share, epochs: settings.epochs, batchSize: settings.batchSize, learningRate: settings.learningRate,
      beta1: 0.9, beta2: 0.999, epsilon: 1e-7, classes: CLASSES, seed: settings.seed, threads, waitForGo: true,
    }));
    return spawn('/usr/bin/python3', [path.join(__dirname, 'torch_shadow_cnn.py'), configFile], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(threads) }, stdio: ['pipe', 'pipe', 'pipe'],
    });
  });
  const outputs = children.map(() => ({ stdout: '', stderr: '' }));
  let ready = 0;
  const started = children.map(() => false);
  const done = children.map((child, i) => new Promise<Side>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      outputs[i].stdout += chunk.toString();
      if (!started[i] && outputs[i].stdout.startsWith('ready\n')) {
        started[i] = true;
        if (++ready === children.length) for (const c of children) c.stdin.write('go\n');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (outputs[i].stderr += chunk.toString()));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`torch_shadow_cnn.py failed (${code}): ${outputs[i].stderr}`));
      else resolve(JSON.parse(outputs[i].stdout.trim().split('\n').pop() as string) as Side);
    });
  }));
  const results = await Promise.all(done);
  const seconds = Math.max(...results.map((r) => r.seconds));
  const samples = results.reduce((sum, r) => sum + (r.samples as number), 0);
  return {
    samplesPerSecond: samples / seconds, seconds, samples, processes: results.length, threadsPerProcess: threads,
    cpuSeconds: results.reduce((sum, r) => sum + (r.cpuSeconds as number), 0), torchVersion: results[0].torchVersion,
  };
}

function best(runs: Side[], flops: number): Side {
  const fastest = runs.reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a));
  const gflops = flops / fastest.seconds / 1e9;
  return { ...fastest, gflops: Number(gflops.toFixed(1)), fractionOfPeak: Number((gflops / PEAK_GFLOPS).toFixed(3)), allRuns: runs.map((r) => Math.round(r.samplesPerSecond)) };
}

export async function main(argv: string[]): Promise<void> {
  const options = parseArgs(argv);
  if (!fs.existsSync(IMAGES) || !fs.existsSync(LABELS)) {
    throw new Error(`Fashion-MNIST not found in ${FASHION_DIR} (apt-get install dataset-fashion-mnist)`);
  }
  const loadAtStart = os.loadavg()[0];
  await initBackend('auto');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-shadow-cnn-'));
  try {
    const all = await loadDataset({ path: IMAGES, labelsPath: LABELS, scale: 1 / 255 });
    const audit = slice(all, 0, AUDIT_RECORDS);
    const population = slice(all, AUDIT_RECORDS, AUDIT_RECORDS + POPULATION_RECORDS);
    const architecture = topology();
    const spec = cnnSpecOf(architecture);
    if (!isCnnSpec(spec)) throw new Error(`the benchmark CNN is not covered: ${spec.reason}`);
    const architectureFile = path.join(scratch, 'model.json');
    fs.writeFileSync(architectureFile, JSON.stringify({ format: 'layers-model', modelTopology: architecture, weightsManifest: [] }));
    const settings: ShadowSettings = {
      count: options.shadows, epochs: options.epochs, batchSize: options.batchSize, learningRate: 1e-3, optimizer: 'adam',
      seed: SEED, trainSize: TRAIN_SIZE, queries: ['identity'], workers: options.workers,
    };
    const perRecord = flopsPerRecord(spec);
    const samples = trainingSets(settings).members.reduce((sum, m) => sum + m.length * settings.epochs, 0);
    const flops = samples * perRecord.training + settings.count * (AUDIT_RECORDS + POPULATION_RECORDS) * perRecord.forward;
    const ours: Side[] = [];
    const torch: Side[] = [];
    for (let r = 0; r < Math.max(1, options.repeat); r++) {
      ours.push(await runOurs(architectureFile, audit, population, settings, scratch));
      if (!options.skipTorch) torch.push(await runTorch(settings, scratch, os.cpus().length, 1));
    }
    const oursBest = best(ours, flops);
    const torchBest = torch.length > 0 ? best(torch, flops) : undefined;
    console.log(JSON.stringify({
      workload: {
        model: 'CNN conv3x3x16-pool-conv3x3x32-pool-dense10 (relu, softmax)', data: 'Fashion-MNIST', shadows: settings.count,
        trainRecordsPerShadow: TRAIN_SIZE, epochs: settings.epochs, batchSize: settings.batchSize, optimizer: 'adam',
        learningRate: settings.learningRate, scoredRecords: AUDIT_RECORDS + POPULATION_RECORDS, cores: os.cpus().length,
        repeat: Math.max(1, options.repeat), loadAverageAtStart: Number(loadAtStart.toFixed(2)),
        gflopPerRun: Number((flops / 1e9).toFixed(1)), peakGflops: PEAK_GFLOPS,
      },
      ours: oursBest,
      torch: torchBest ?? null,
      ratioVsTorch: torchBest ? oursBest.samplesPerSecond / torchBest.samplesPerSecond : null,
      ratioVsTorchPerCpuSecond: torchBest
        ? ((oursBest.samples as number) / (oursBest.cpuSeconds as number)) / ((torchBest.samples as number) / (torchBest.cpuSeconds as number))
        : null,
      loadAverageAtEnd: Number(os.loadavg()[0].toFixed(2)),
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    }));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
