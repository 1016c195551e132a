/**
 * trainShadowModels end to end, with real worker threads: outputs and their layout,
 * learning (IN records score higher than OUT), progress, the cache (hit, partial
 * resume, corrupt file), cancellation that keeps finished shadows, and the per-model
 * path for architectures the stacked trainer does not take.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../../src/engine/artifacts/dataset';
import { CancelledError } from '../../src/engine/audit/progress';
import { initBackend } from '../../src/engine/backend';
import { keepMatrix, trainShadowModels, type ShadowOutputs, type ShadowProgress, type ShadowRequest } from '../../src/engine/shadow';
import { makeRandom } from '../../src/engine/shadow/random';

const FEATURES = 16;
const CLASSES = 3;

let dir: string;
let mlpFile: string;

/** Noisy 3-class data: class from two directions, plus enough noise that a model can memorise. */
function dataset(name: string, count: number, seed: number, featureShape: number[] = [FEATURES]): Dataset {
  const random = makeRandom(seed);
  const size = featureShape.reduce((a, b) => a * b, 1);
  const features = new Float32Array(count * size);
  const labels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    let u = 0;
    let v = 0;
    for (let i = 0; i < size; i++) {
      const x = random() * 2 - 1;
      features[r * size + i] = x;
      if (i % 3 === 0) u += x;
      if (i % 3 === 1) v += x;
    }
    labels[r] = random() < 0.25 ? Math.floor(random() * CLASSES) : u > 0 ? 0 : v > 0 ? 1 : 2;
  }
  return { source: path.join(dir, name), count, featureShape, features, labels };
}

function writeModel(name: string, build: () => tfl.LayersModel): string {
  const model = build();
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ format: 'layers-model', modelTopology: model.toJSON(null, false), weightsManifest: [] }));
  model.dispose();
  return file;
}

function request(cacheDir: string, overrides: Partial<ShadowRequest['settings']> = {}): ShadowRequest {
  return {
    architectureFile: mlpFile,
    auditRecords: dataset('audit', 120, 1),
    population: dataset('population', 80, 2),
    numClasses: CLASSES,
    settings: {
      count: 4, epochs: 30, batchSize: 16, learningRate: 0.01, optimizer: 'adam', seed: 5, trainSize: 70,
      queries: ['identity'], workers: 2, ...overrides,
    },
    cacheDir,
  };
}

function cacheFiles(cacheDir: string): string[] {
  return fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.endsWith('.bin')).sort() : [];
}

function sameOutputs(a: ShadowOutputs, b: ShadowOutputs): void {
  assert.deepEqual(a.keep, b.keep, 'keep');
  assert.equal(a.auditProbabilities.length, b.auditProbabilities.length);
  a.auditProbabilities.forEach((p, s) => assert.deepEqual(p, b.auditProbabilities[s], `shadow ${s} audit outputs`));
  a.populationProbabilities?.forEach((p, s) => assert.deepEqual(p, b.populationProbabilities?.[s], `shadow ${s} population outputs`));
}

before(async () => {
  await initBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadow-train-'));
  mlpFile = writeModel('mlp.json', () => {
    const m = tfl.sequential();
    m.add(tfl.layers.dense({ inputShape: [FEATURES], units: 32, activation: 'relu' }));
    m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
    return m;
  });
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('trainShadowModels (stacked MLP)', () => {
  const cacheDir = () => path.join(dir, 'cache-main');
  let first: ShadowOutputs;

  test('trains every shadow; outputs have the documented layout and show memorisation', async () => {
    const progress: ShadowProgress[] = [];
    const req = request(cacheDir());
    first = await trainShadowModels(req, { onProgress: (p) => progress.push(p) });
    assert.equal(first.trainer, 'stacked');
    assert.equal(first.backend, 'wasm-simd', 'the stacked trainer runs on our kernels');
    assert.deepEqual([first.shadows, first.queries, first.numClasses, first.trained, first.fromCache], [4, 1, CLASSES, 4, 0]);
    assert.deepEqual(first.keep, keepMatrix(120, 4, 5), 'keep is keepMatrix(records, count, seed)');
    assert.equal(first.populationKeep?.length, 80 * 4);
    assert.equal(first.auditProbabilities.length, 4);
    const audit = req.auditRecords;
    let inSum = 0;
    let inCount = 0;
    let outSum = 0;
    let outCount = 0;
    first.auditProbabilities.forEach((p, s) => {
      assert.equal(p.length, 120 * CLASSES, `shadow ${s} audit size`);
      for (let r = 0; r < 120; r++) {
        const row = p.subarray(r * CLASSES, (r + 1) * CLASSES);
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, `shadow ${s} record ${r} probabilities sum to 1`);
        const confidence = row[audit.labels[r]];
        if (first.keep[r * 4 + s] === 1) {
          inSum += confidence;
          inCount++;
        } else {
          outSum += confidence;
          outCount++;
        }
      }
    });
    assert.ok(inSum / inCount > outSum / outCount + 0.1, `IN confidence ${inSum / inCount} vs OUT ${outSum / outCount}`);
    first.populationProbabilities?.forEach((p, s) => assert.equal(p.length, 80 * CLASSES, `shadow ${s} population size`));
    assert.ok(first.samplesPerSecond > 0, 'samples per second');

    assert.ok(progress.length >= 2, 'progress was reported');
    assert.deepEqual(progress.map((p) => p.done), [...progress.map((p) => p.done)].sort((a, b) => a - b), 'done never decreases');
    const last = progress[progress.length - 1];
    assert.deepEqual([last.done, last.total], [4, 4]);
    assert.ok(progress.some((p) => p.samplesPerSecond > 0 && Number.isFinite(p.etaSeconds)), 'a rate and an ETA were reported');
    assert.equal(cacheFiles(cacheDir()).length, 4, 'one cache file per shadow');
  });

  test('a re-run is served from the cache, identical', async () => {
    const again = await trainShadowModels(request(cacheDir()));
    assert.deepEqual([again.trained, again.fromCache, again.workers], [0, 4, 0]);
    sameOutputs(again, first);
  });

  test('partial resume: only the missing shadows train, and they come out the same', async () => {
    const files = cacheFiles(cacheDir());
    fs.rmSync(path.join(cacheDir(), files[0]));
    fs.rmSync(path.join(cacheDir(), files[2]));
    const resumed = await trainShadowModels(request(cacheDir()));
    assert.deepEqual([resumed.trained, resumed.fromCache], [2, 2]);
    sameOutputs(resumed, first);
  });

  test('a corrupt cache file is retrained, not read', async () => {
    const file = path.join(cacheDir(), cacheFiles(cacheDir())[1]);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const repaired = await trainShadowModels(request(cacheDir()));
    assert.deepEqual([repaired.trained, repaired.fromCache], [1, 3]);
    sameOutputs(repaired, first);
  });

  test('other settings (here the epochs) miss the cache', async () => {
    const other = await trainShadowModels(request(cacheDir(), { epochs: 2 }));
    assert.equal(other.trained, 4);
  });
});

describe('cancellation', () => {
  test('stops within about a second, keeps finished shadows, and a re-run resumes', async () => {
    const cacheDir = path.join(dir, 'cache-cancel');
    const controller = new AbortController();
    let abortedAt = 0;
    const req = request(cacheDir, { count: 8, epochs: 400 });
    const run = trainShadowModels(req, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 1 && abortedAt === 0) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
    const latency = Date.now() - abortedAt;
    assert.ok(abortedAt > 0, 'the run was aborted after a shadow finished');
    assert.ok(latency < 2500, `stopped ${latency} ms after the abort`);
    const kept = cacheFiles(cacheDir).length;
    assert.ok(kept >= 1 && kept < 8, `${kept} finished shadows were kept`);
    assert.deepEqual(fs.readdirSync(cacheDir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');

    const resumed = await trainShadowModels(request(cacheDir, { count: 8, epochs: 400 }));
    assert.equal(resumed.fromCache, kept, 'the kept shadows are reused');
    assert.equal(resumed.trained, 8 - kept);
  });

  test('an already aborted signal trains nothing', async () => {
    const cacheDir = path.join(dir, 'cache-aborted');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(trainShadowModels(request(cacheDir), { signal: controller.signal }), CancelledError);
    assert.deepEqual(cacheFiles(cacheDir), []);
  });
});

describe('per-model path', () => {
  test('a small CNN our kernels do not cover (a kernel regulariser) trains with tfjs-layers in the workers, scored under mirror queries', async () => {
    const cnnFile = writeModel('cnn.json', () => {
      const m = tfl.sequential();
      m.add(tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelRegularizer: tfl.regularizers.l2() }));
      m.add(tfl.layers.flatten());
      m.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
      return m;
    });
    const req: ShadowRequest = {
      ...request(path.join(dir, 'cache-cnn'), { count: 2, epochs: 3, trainSize: 40, queries: ['mirror'] }),
      architectureFile: cnnFile,
      auditRecords: dataset('audit-images', 60, 3, [4, 4, 1]),
      population: dataset('population-images', 30, 4, [4, 4, 1]),
    };
    const out = await trainShadowModels(req);
    assert.equal(out.trainer, 'per-model');
    assert.equal(out.backend, 'wasm', 'tfjs-layers on the wasm backend');
    assert.match(out.trainerNote ?? '', /Conv2D/);
    assert.deepEqual([out.trained, out.queries], [2, 2]);
    for (const p of out.auditProbabilities) {
      assert.equal(p.length, 60 * 2 * CLASSES);
      assert.ok(p.every((v) => Number.isFinite(v) && v >= 0 && v <= 1), 'probabilities are in [0, 1]');
    }
  });
});
