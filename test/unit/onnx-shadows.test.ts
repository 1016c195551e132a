/**
 * Shadows of an ONNX target's own architecture: readArchitecture converts the graph
 * (fixtures from scripts/make-onnx-conversion-fixtures.py), fresh seeded weights train
 * (the loss falls), and a graph with an operator the converter lacks falls back to the
 * default architecture with ONE fallback-architecture finding naming the operator, not a
 * note on every shadow-model attack. The white-box attack reads a converted ONNX model.
 */
import { uniformRandom } from '../../src/engine/random';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../../src/engine/backend';
import { denseStackOf, isDenseStack, readArchitecture } from '../../src/engine/shadow/architecture';
import { buildShadowModel, lossFor, outputClasses, outputKindOf, targetsFor } from '../../src/engine/shadow/layers-model';
import { buildConvertedModel, readOnnxConversion } from '../../src/engine/artifacts/models/onnx-layers-model';
import { auditTarget } from '../../src/engine/audit';
import { trainerFor } from '../../src/engine/shadow/trainer-choice';
import { buildRecordStore } from '../../src/engine/shadow/record-store';
import * as tfl from '@tensorflow/tfjs-layers';

const DIR = path.join(__dirname, '..', 'fixtures', 'onnx-convert');
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-onnx-shadows-'));
after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

test('readArchitecture converts an ONNX CNN and an MLP; an unsupported operator falls back, naming it', async () => {
  const cnn = await readArchitecture(path.join(DIR, 'resnet.onnx'));
  assert.equal(cnn.defaulted, undefined);
  assert.equal(cnn.topology.class_name, 'Model', 'residual blocks need the functional form');
  assert.match(cnn.converted ?? '', /Conv2D x6/);

  const mlp = await readArchitecture(path.join(DIR, 'relu.onnx'));
  assert.equal(mlp.defaulted, undefined);
  const stack = denseStackOf(mlp.topology);
  assert.ok(isDenseStack(stack), `a Gemm-Relu-Gemm graph is a Dense stack for the stacked trainer: ${JSON.stringify(stack)}`);
  assert.deepEqual(stack.layers.map((l) => [l.units, l.activation]), [[12, 'relu'], [4, 'linear']]);
  assert.equal(stack.inputSize, 10);

  const sin = await readArchitecture(path.join(DIR, 'unsupported-sin.onnx'));
  assert.ok(sin.defaulted, 'Sin is not converted: default architecture');
  assert.equal(sin.defaulted.unsupportedOp?.opType, 'Sin');
  assert.match(sin.defaulted.reason, /unsupported-sin\.onnx holds the ONNX operator Sin \(node "[^"]+"\)/);
  assert.equal(sin.defaulted.summary, 'Dense 128-Dense 3');
});

/** onnxruntime's outputs for a fixture's inputs. */
async function runtimeOutputs(name: string): Promise<{ input: Float32Array; rows: number; expected: Float32Array }> {
  const c = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as { input: number[]; rows: number; inputShape: number[] };
  const session = await ort.InferenceSession.create(path.join(DIR, `${name}.onnx`));
  try {
    const input = Float32Array.from(c.input);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [c.rows, ...c.inputShape]) });
    return { input, rows: c.rows, expected: out[session.outputNames[0]].data as Float32Array };
  } finally {
    await session.release();
  }
}

test('fresh mode: a one-channel CNN is a plain Conv/Pool/Dense Sequential for the convolutional trainer, the same function as the ONNX model up to the order of Flatten\'s features', { timeout: 60_000 }, async () => {
  await initBackend('auto');
  const file = path.join(DIR, 'small-cnn.onnx');
  const architecture = await readArchitecture(file);
  const layers = (architecture.topology.config as { layers: { class_name: string }[] }).layers;
  assert.equal(architecture.topology.class_name, 'Sequential');
  assert.deepEqual(layers.map((l) => l.class_name), ['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dense'], 'no Permute, no ZeroPadding2D');
  const records = { source: 'records', count: 2, featureShape: [1, 12, 12], features: new Float32Array(288), labels: Int32Array.from([0, 1]) };
  const choice = trainerFor({ architecture, store: buildRecordStore(records, undefined), numClasses: 5, batchSize: 16 });
  assert.equal(choice.trainer, 'cnn', `the convolutional trainer takes it: ${choice.reason}`);

  // The ONNX weights, with the first Dense layer's rows reordered from (c, h, w) to (h, w, c), reproduce onnxruntime.
  const own = readOnnxConversion(file);
  const model = await tfl.models.modelFromJSON({ modelTopology: architecture.topology } as unknown as tfl.ModelAndWeightsConfig);
  try {
    const [C, H, W] = [6, 3, 3];
    for (const [name, weights] of own.weights) {
      let values = weights.map((w) => tf.tensor(w.values, w.shape));
      if (name === 'dense0') {
        const units = weights[0].shape[1];
        const rows = new Float32Array(weights[0].values.length);
        for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
          rows.set(weights[0].values.subarray(((c * H + h) * W + w) * units, ((c * H + h) * W + w + 1) * units), ((h * W + w) * C + c) * units);
        }
        tf.dispose(values[0]);
        values = [tf.tensor(rows, weights[0].shape), ...values.slice(1)];
      }
      model.getLayer(name).setWeights(values);
      tf.dispose(values);
    }
    const { input, rows, expected } = await runtimeOutputs('small-cnn');
    const x = tf.tensor(input, [rows, 12, 12, 1]);
    const y = model.predict(x) as tf.Tensor;
    const got = y.dataSync();
    tf.dispose([x, y]);
    const diff = Math.max(...Array.from(got, (v, i) => Math.abs(v - expected[i])));
    assert.ok(diff <= 1e-5, `max |diff| ${diff}`);
  } finally {
    model.dispose();
  }
});

test('fresh mode: the ResNet fixture\'s one-channel input is declared [16, 16, 1], and with the ONNX weights it still gives onnxruntime\'s outputs', { timeout: 60_000 }, async () => {
  await initBackend('auto');
  const file = path.join(DIR, 'resnet.onnx');
  const fresh = readOnnxConversion(file, 'fresh');
  assert.equal(fresh.weights.size, 0, 'fresh mode hands out no weights');
  const model = await tfl.models.modelFromJSON({ modelTopology: fresh.topology } as unknown as tfl.ModelAndWeightsConfig);
  try {
    assert.deepEqual(model.inputs[0].shape, [null, 16, 16, 1]);
    assert.ok(!model.layers.some((l) => l.getClassName() === 'Permute'), 'no Permute: the pooled features are 1x1');
    for (const [name, weights] of readOnnxConversion(file).weights) {
      const values = weights.map((w) => tf.tensor(w.values, w.shape));
      model.getLayer(name).setWeights(values);
      tf.dispose(values);
    }
    const { input, rows, expected } = await runtimeOutputs('resnet');
    const x = tf.tensor(input, [rows, 16, 16, 1]);
    const y = model.predict(x) as tf.Tensor;
    const got = y.dataSync();
    tf.dispose([x, y]);
    const diff = Math.max(...Array.from(got, (v, i) => Math.abs(v - expected[i])));
    assert.ok(diff <= 1e-5, `max |diff| ${diff}`);
  } finally {
    model.dispose();
  }
});

test('fresh converted weights are seeded per shadow, differ from the model\'s own, and train (loss falls over a few batches)', { timeout: 120_000 }, async () => {
  await initBackend('auto');
  const file = path.join(DIR, 'resnet.onnx');
  const architecture = await readArchitecture(file);
  const a = await buildShadowModel(architecture, 7, 0);
  const b = await buildShadowModel(architecture, 7, 0);
  const c = await buildShadowModel(architecture, 7, 1);
  const own = await buildConvertedModel(readOnnxConversion(file), 'own', file);
  try {
    const first = (m: typeof a) => m.getWeights()[0].dataSync();
    assert.deepEqual(first(a), first(b), 'same seed and shadow: same initial weights');
    assert.notDeepEqual(first(a), first(c), 'another shadow: other initial weights');
    assert.notDeepEqual(first(a), first(own), 'fresh weights are not the ONNX model\'s');
    // PyTorch's default init bound 1/sqrt(fan_in): first conv 1x3x3 -> 1/3.
    assert.ok(Math.max(...first(a).map(Math.abs)) <= 1 / 3 + 1e-6);

    // 64 random images with random labels of 10 classes: memorising them drives the loss down.
    const rng = uniformRandom(5);
    const n = 64;
    const x = tf.tensor4d(Float32Array.from({ length: n * 256 }, () => rng() * 2 - 1), [n, 16, 16, 1]);
    const y = tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from({ length: n }, () => Math.floor(rng() * 10)), 'int32'), 10), 'float32');
    const kind = outputKindOf(a);
    assert.equal(kind, 'logits');
    a.compile({ optimizer: tf.train.adam(0.01), loss: lossFor(kind) as never });
    const history = await a.fit(x, y, { epochs: 6, batchSize: 16, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    tf.dispose([x, y]);
    assert.ok(losses[losses.length - 1] < 0.8 * losses[0], `loss ${losses.map((l) => l.toFixed(3)).join(' -> ')}`);
  } finally {
    for (const m of [a, b, c, own]) m.dispose();
  }
});

test('every converted fixture trains from fresh weights on this backend (one finite step); layers it cannot train fall back, named', { timeout: 120_000 }, async () => {
  const info = await initBackend('auto');
  const names = fs.readdirSync(DIR).filter((f) => f.endsWith('.onnx') && f !== 'unsupported-sin.onnx').map((f) => f.slice(0, -5));
  assert.ok(names.length >= 30, `${names.length} fixtures`);
  for (const name of names) {
    const architecture = await readArchitecture(path.join(DIR, `${name}.onnx`));
    // TF.js has no gradient for dilated convolutions, and tfjs-backend-wasm 4.22 none for depthwise ones.
    const untrainable = name === 'conv-dilated' ? /dilations \[2, 2\]: TF\.js has no gradient for dilated convolutions/
      : name === 'conv-depthwise' && info.name === 'wasm' ? /group = 4 \(depthwise\): this TF\.js backend has no gradient for depthwise convolutions/ : undefined;
    if (untrainable) {
      assert.equal(architecture.defaulted?.unsupportedOp?.opType, 'Conv', `${name}: falls back`);
      assert.match(architecture.defaulted!.reason, untrainable, `${name}: the reason`);
      continue;
    }
    assert.equal(architecture.defaulted, undefined, `${name}: converted`);
    const model = await buildShadowModel(architecture, 1, 0);
    const shape = model.inputs[0].shape.slice(1) as number[];
    const classes = outputClasses(model);
    const x = tf.randomNormal([4, ...shape], 0, 1, 'float32', 1);
    const y = targetsFor(outputKindOf(model), Int32Array.from([0, 1, 2, 3], (i) => i % classes), classes);
    try {
      // Single-operator fixtures without weights (pooling, Flatten) have nothing to train.
      if (model.trainableWeights.length === 0) continue;
      model.compile({ optimizer: tf.train.sgd(0.01), loss: lossFor(outputKindOf(model)) as never });
      const loss = await model.trainOnBatch(x, y) as number;
      assert.ok(Number.isFinite(loss), `${name}: loss ${loss}`);
    } finally {
      tf.dispose([x, y]);
      (model.optimizer as tf.Optimizer | undefined)?.dispose();
      model.dispose();
    }
  }
});

/** A workspace with the ONNX model and CSV records labelled by the model (members all right, non-members 70%). */
async function workspace(model: string, inputShape: number[]): Promise<string> {
  const features = inputShape.reduce((a, b) => a * b, 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-onnx-ws-'));
  fs.copyFileSync(path.join(DIR, model), path.join(dir, model));
  const session = await ort.InferenceSession.create(path.join(DIR, model));
  const rng = uniformRandom(11);
  try {
    for (const [name, count, wrong] of [['members', 60, 0], ['nonmembers', 60, 0.3], ['population', 120, 0.3]] as const) {
      const x = Float32Array.from({ length: count * features }, () => rng() * 4 - 2);
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [count, ...inputShape]) });
      const logits = out[session.outputNames[0]].data as Float32Array;
      const classes = logits.length / count;
      const rows = [[...Array.from({ length: features }, (_, j) => `f${j}`), 'label'].join(',')];
      for (let i = 0; i < count; i++) {
        const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
        let label = row.indexOf(Math.max(...row));
        if (rng() < wrong) label = (label + 1) % classes;
        rows.push([...Array.from(x.subarray(i * features, (i + 1) * features), (v) => v.toFixed(6)), label].join(','));
      }
      fs.writeFileSync(path.join(dir, `${name}.csv`), rows.join('\n') + '\n');
    }
  } finally {
    await session.release();
  }
  fs.writeFileSync(path.join(dir, 'privacy-audit.json'), JSON.stringify({
    version: 1,
    audits: [{
      name: 'onnx', model, members: 'members.csv', nonMembers: 'nonmembers.csv', population: 'population.csv', label: 'label',
      attacks: ['loss-threshold', 'lira-offline', 'rmia', 'white-box-gradient-norm'],
      shadow: { count: 4, epochs: 2, batchSize: 16, seed: 3 },
    }],
  }, null, 2));
  return dir;
}

test('an ONNX MLP audit: shadows of its own architecture and no fallback finding; white-box reads its own weights', { timeout: 120_000 }, async () => {
  const dir = await workspace('relu.onnx', [10]);
  try {
    const report = await auditTarget(path.join(dir, 'privacy-audit.json'), { cacheDir, workers: 1 });
    const audit = report.audits.find((a) => a.name === 'onnx');
    assert.ok(audit, JSON.stringify(report.findings.map((f) => [f.rule, f.message])));
    assert.deepEqual(audit.errors, []);
    for (const id of ['lira-offline', 'rmia', 'white-box-gradient-norm']) assert.ok(audit.attacks.some((a) => a.id === id), `${id} ran`);
    assert.ok(audit.attacks.every((a) => a.architectureFallback === undefined && !a.notes?.some((n) => /default architecture/.test(n))));
    assert.ok(!report.findings.some((f) => f.rule === 'fallback-architecture'), 'no fallback finding');
    const whiteBox = audit.attacks.find((a) => a.id === 'white-box-gradient-norm')!;
    assert.ok(whiteBox.notes?.some((n) => /over 2 layers' weights \(dense0, dense1\)/.test(n)), `${whiteBox.notes}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a PyTorch ResNet-style CNN exported to ONNX: shadows of its own converted architecture, no fallback; white-box through its convolutions', { timeout: 300_000 }, async () => {
  const dir = await workspace('resnet.onnx', [1, 16, 16]);
  try {
    const report = await auditTarget(path.join(dir, 'privacy-audit.json'), { cacheDir, workers: 1 });
    const audit = report.audits.find((a) => a.name === 'onnx');
    assert.ok(audit, JSON.stringify(report.findings.map((f) => [f.rule, f.message])));
    assert.deepEqual(audit.errors, []);
    for (const id of ['lira-offline', 'rmia', 'white-box-gradient-norm']) assert.ok(audit.attacks.some((a) => a.id === id), `${id} ran`);
    assert.ok(audit.attacks.every((a) => a.architectureFallback === undefined), 'no attack ran on default shadows');
    assert.ok(!report.findings.some((f) => f.rule === 'fallback-architecture'), 'no fallback finding');
    const whiteBox = audit.attacks.find((a) => a.id === 'white-box-gradient-norm')!;
    assert.ok(whiteBox.notes?.some((n) => /over 13 layers' weights/.test(n)), `6 Conv2D, 6 BatchNormalization, 1 Dense: ${whiteBox.notes}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an ONNX graph with an unsupported operator: one fallback-architecture finding naming it, no note on each attack', { timeout: 120_000 }, async () => {
  const dir = await workspace('unsupported-sin.onnx', [4]);
  try {
    const report = await auditTarget(path.join(dir, 'privacy-audit.json'), { cacheDir, workers: 1 });
    const audit = report.audits.find((a) => a.name === 'onnx');
    assert.ok(audit, JSON.stringify(report.findings.map((f) => [f.rule, f.message])));
    for (const id of ['lira-offline', 'rmia']) {
      const attack = audit.attacks.find((a) => a.id === id);
      assert.ok(attack, `${id} ran on default shadows: ${JSON.stringify([audit.errors, report.findings.map((f) => [f.rule, f.message])])}`);
      assert.ok(!attack.notes?.some((n) => /default architecture/.test(n)), `${id}: no per-attack note: ${attack.notes}`);
    }
    const fallback = report.findings.filter((f) => f.rule === 'fallback-architecture');
    assert.equal(fallback.length, 1, JSON.stringify(report.findings.map((f) => [f.rule, f.message])));
    assert.equal(fallback[0].severity, 'medium');
    assert.match(fallback[0].message, /default architecture \(Dense 128-Dense 3\) instead of the target's own because unsupported-sin\.onnx holds the ONNX operator Sin \(node "[^"]+"\)/);
    assert.match(fallback[0].message, /likely understated/);
    assert.match(fallback[0].message, /Attacks affected: lira-offline, rmia\./);
    // The white-box attack cannot convert the model either: its error names the operator.
    const whiteBox = audit.errors.find((e) => e.attack === 'white-box-gradient-norm');
    assert.match(whiteBox?.message ?? '', /ONNX operator Sin/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
