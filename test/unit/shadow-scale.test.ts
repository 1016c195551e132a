/**
 * The memory-lean shadow path (trainShadowSummaries, ShadowSummary): per shadow only the
 * true-class probability and the other classes' mass per (record, query) instead of every
 * class, and the attacks' statistics and scores from it are bit for bit those from the
 * full class vectors: on synthetic outputs with the edge cases the signals special-case
 * (float32 p_y rounded to 1, underflowed zeros, p_y near 0.5), and on real shadows
 * trained in worker threads, both freshly trained and read back from the cache.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { concatDatasets, type Dataset } from '../../src/engine/artifacts/dataset';
import { LIRA_VARIANTS, liraScores } from '../../src/engine/attacks/lira';
import { rmiaScores } from '../../src/engine/attacks/rmia';
import { summariseShadow } from '../../src/engine/attacks/shadow-statistics';
import { rmiaInput, shadowSignals, type ShadowEvidence } from '../../src/engine/audit/shadow-attack-inputs';
import { shadowAccuracies } from '../../src/engine/audit/shadow-quality';
import { initBackend } from '../../src/engine/backend';
import { keepMatrix, trainShadowModels, trainShadowSummaries, type ShadowRequest } from '../../src/engine/shadow';
import { makeRandom } from '../../src/engine/shadow/random';
import { buildRecordStore, sharedAuditRecords } from '../../src/engine/shadow/record-store';

const CLASSES = 4;

/** Softmax rows in float32, some of them made extreme. */
function probabilities(rows: number, random: () => number): Float32Array {
  const out = new Float32Array(rows * CLASSES);
  for (let r = 0; r < rows; r++) {
    const kind = r % 7;
    const logits = Array.from({ length: CLASSES }, () => (random() - 0.5) * (kind === 0 ? 80 : kind === 1 ? 0.01 : 6));
    const m = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - m));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((v, c) => (out[r * CLASSES + c] = v / sum));
    if (kind === 2) out.fill(0, r * CLASSES, (r + 1) * CLASSES), (out[r * CLASSES + (r % CLASSES)] = 1);
  }
  return out;
}

/** Every attack statistic and score the two forms feed, for comparison. */
function attackResults(evidence: ShadowEvidence, target: Float32Array, records: number, queries: number, labels: Int32Array, population: { probabilities: Float32Array; labels: Int32Array }) {
  const t = { records, queries, probabilities: target };
  const lira = shadowSignals(evidence, t, labels, 'lira-statistic');
  return {
    lira: Array.from(lira.shadow),
    loss: Array.from(shadowSignals(evidence, t, labels, 'loss').shadow),
    confidence: Array.from(shadowSignals(evidence, t, labels, 'confidence').shadow),
    liraScores: LIRA_VARIANTS.map((v) => Array.from(liraScores(v, { ...lira, keep: evidence.keep }).scores)),
    rmia: Array.from(rmiaScores(rmiaInput(evidence, t, labels, population), { mode: 'offline', offlineA: 0.3, gamma: 1 })),
    rmiaOnline: Array.from(rmiaScores(rmiaInput(evidence, t, labels, population), { mode: 'online', offlineA: 0.3, gamma: 1 })),
    accuracies: shadowAccuracies(evidence, labels),
  };
}

/** Bit-for-bit equality of nested number arrays (deepEqual with Object.is, so -0 and NaN count). */
function assertSameBits(a: unknown, b: unknown, what: string): void {
  assert.deepStrictEqual(a, b, what);
}

test('summaries give the same LiRA, loss, confidence, RMIA and shadow accuracies bit for bit (synthetic outputs with edge cases)', () => {
  const random = makeRandom(11);
  const records = 60;
  const queries = 3;
  const shadows = 6;
  const populationCount = 25;
  const labels = Int32Array.from({ length: records }, () => Math.floor(random() * CLASSES));
  const populationLabels = Int32Array.from({ length: populationCount }, () => Math.floor(random() * CLASSES));
  const keep = keepMatrix(records, shadows, 3);
  const audit = Array.from({ length: shadows }, () => probabilities(records * queries, random));
  const pop = Array.from({ length: shadows }, () => probabilities(populationCount, random));
  const full = { shadows, queries, numClasses: CLASSES, keep, auditProbabilities: audit, populationProbabilities: pop };
  const lean = {
    shadows, queries, numClasses: CLASSES, keep,
    summaries: audit.map((a, s) => summariseShadow(a, pop[s], queries, CLASSES, labels, populationLabels)),
  };
  // The edge cases are really there: true-class probabilities stored as exactly 1 and as 0.
  const trueClass = lean.summaries.flatMap((x) => Array.from(x.trueClass));
  assert.ok(trueClass.includes(1) && trueClass.includes(0), 'synthetic outputs hold p_y = 1 and p_y = 0');

  const target = probabilities(records * queries, random);
  const population = { probabilities: probabilities(populationCount, random), labels: populationLabels };
  const a = attackResults(full, target, records, queries, labels, population);
  const b = attackResults(lean, target, records, queries, labels, population);
  assert.ok(a.lira.every(Number.isFinite), 'LiRA statistics are finite');
  assertSameBits(b, a, 'attack inputs and scores from summaries equal those from class vectors');
  // 12 bytes per (record, query) plus one per record, against 4 x classes per (record, query).
  const leanBytes = lean.summaries[0].trueClass.byteLength + lean.summaries[0].otherMass.byteLength + lean.summaries[0].identityCorrect.byteLength;
  assert.equal(leanBytes, records * queries * 12 + records);
  assert.equal(audit[0].byteLength, records * queries * CLASSES * 4);
});

test('summaries refuse the signals that need every class, naming them', () => {
  const labels = Int32Array.from([0, 1]);
  const probs = Float32Array.from([0.7, 0.1, 0.1, 0.1, 0.2, 0.5, 0.2, 0.1]);
  const lean = { shadows: 1, queries: 1, numClasses: CLASSES, keep: Uint8Array.from([1, 0]), summaries: [summariseShadow(probs, undefined, 1, CLASSES, labels, undefined)] };
  assert.throws(() => shadowSignals(lean, { records: 2, queries: 1, probabilities: probs }, labels, 'entropy'), /signal "entropy" needs every class/);
  assert.throws(() => summariseShadow(probs.subarray(0, 6), undefined, 1, CLASSES, labels, undefined), /expected 2 records x 1 queries x 4 classes = 8 audit probabilities, got 6/);
});

let dir: string;

function dataset(name: string, count: number, seed: number): Dataset {
  const random = makeRandom(seed);
  const size = 8 * 8;
  const features = new Float32Array(count * size);
  const labels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    let u = 0;
    for (let i = 0; i < size; i++) {
      const x = random() * 2 - 1;
      features[r * size + i] = x;
      if (i % 5 === 0) u += x;
    }
    labels[r] = random() < 0.3 ? Math.floor(random() * CLASSES) : (u > 0 ? 0 : 1) + 2 * (features[r * size + 1] > 0 ? 1 : 0);
  }
  return { source: path.join(dir, name), count, featureShape: [8, 8, 1], features, labels };
}

before(async () => {
  await initBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadow-scale-'));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('trainShadowSummaries (trained in workers, then from the cache) gives the attacks what trainShadowModels gives them', async () => {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: CLASSES, activation: 'softmax' }));
  const architectureFile = path.join(dir, 'cnn.json');
  fs.writeFileSync(architectureFile, JSON.stringify({ format: 'layers-model', modelTopology: model.toJSON(null, false), weightsManifest: [] }));
  model.dispose();
  const auditRecords = dataset('audit', 90, 1);
  const populationRecords = dataset('population', 40, 2);
  const request = (cacheDir: string): ShadowRequest => ({
    architectureFile, auditRecords, population: populationRecords, numClasses: CLASSES, cacheDir,
    settings: { count: 4, epochs: 3, batchSize: 16, learningRate: 0.01, optimizer: 'adam', seed: 9, trainSize: 45, queries: ['identity', 'mirror'], workers: 2 },
  });
  const full = await trainShadowModels(request(path.join(dir, 'full')));
  assert.equal(full.trainer, 'cnn');
  const trained = await trainShadowSummaries(request(path.join(dir, 'lean')));
  const cached = await trainShadowSummaries(request(path.join(dir, 'full')));
  assert.equal(trained.trained, 4, 'lean run trained every shadow');
  assert.equal(cached.fromCache, 4, 'lean run over the first run\'s cache read every shadow from it');

  const records = auditRecords.count;
  const target = full.auditProbabilities[0];
  const population = { probabilities: full.populationProbabilities![0], labels: populationRecords.labels };
  const expected = attackResults(full, target, records, full.queries, auditRecords.labels, population);
  assert.ok(new Set(expected.lira).size > records, 'shadows give varied statistics');
  assertSameBits(attackResults(trained, target, records, trained.queries, auditRecords.labels, population), expected, 'freshly trained lean run');
  assertSameBits(attackResults(cached, target, records, cached.queries, auditRecords.labels, population), expected, 'lean run from the cache');

  // Audit records laid out as the record store (as an audit's attack context makes them):
  // the same records, so the same cache keys, and the shadows come from the first run's cache.
  const size = 8 * 8;
  const part = (from: number, to: number): Dataset => ({ ...auditRecords, count: to - from, features: auditRecords.features.slice(from * size, to * size), labels: auditRecords.labels.slice(from, to) });
  const shared = sharedAuditRecords(part(0, 40), part(40, 90), populationRecords.count);
  const again = await trainShadowModels({ ...request(path.join(dir, 'full')), auditRecords: shared });
  assert.equal(again.fromCache, 4, 'same records, same cache keys');
  again.auditProbabilities.forEach((p, s) => assert.deepEqual(p, full.auditProbabilities[s], `shadow ${s}`));
});

test('sharedAuditRecords: the records concatDatasets gives, and a record store that copies only the population', () => {
  const members = dataset('members', 30, 3);
  const nonMembers = dataset('non-members', 20, 4);
  const population = dataset('population', 25, 5);
  const shared = sharedAuditRecords(members, nonMembers, population.count);
  const concatenated = concatDatasets(members, nonMembers);
  assert.equal(shared.count, 50);
  assert.deepEqual(Array.from(shared.features), Array.from(concatenated.features));
  assert.deepEqual(Array.from(shared.labels), Array.from(concatenated.labels));

  const store = buildRecordStore(shared, population);
  const copied = buildRecordStore(concatenated, population);
  assert.equal(store.features.buffer, shared.features.buffer, 'the store is the audit records\' own memory');
  assert.deepEqual(Array.from(store.features), Array.from(copied.features), 'same values as a copied store');
  assert.deepEqual(Array.from(store.labels), Array.from(copied.labels));
  assert.equal(buildRecordStore(shared, population), store, 'built once per population');

  const other = dataset('other population', 25, 6);
  const separate = buildRecordStore(shared, other);
  assert.notEqual(separate.features.buffer, shared.features.buffer, 'another population of the same size gets its own store');
  assert.deepEqual(Array.from(separate.features.subarray(50 * 64)), Array.from(other.features));
  assert.deepEqual(Array.from(store.features.subarray(50 * 64)), Array.from(population.features), 'the first store is untouched');
  assert.equal(buildRecordStore(shared, undefined).populationCount, 0, 'no population: a store without one');
});
