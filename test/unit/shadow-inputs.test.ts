/**
 * Bad input to trainShadowModels becomes an InputError that names the setting or file
 * at fault, before any worker starts; and the optimiser comes from the model's
 * trainingConfig when it has one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Dataset } from '../../src/engine/artifacts/dataset';
import { InputError } from '../../src/engine/errors';
import { trainShadowModels, type ShadowRequest } from '../../src/engine/shadow';
import { denseStackOf } from '../../src/engine/shadow/architecture';
import { resolveOptimizer } from '../../src/engine/shadow/optimizer';

let dir: string;
let modelFile: string;

function dense(units: number, activation: string, inputSize?: number): Record<string, unknown> {
  return {
    class_name: 'Dense',
    config: { units, activation, use_bias: true, ...(inputSize ? { batch_input_shape: [null, inputSize] } : {}) },
  };
}

function writeModel(name: string, json: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
  return file;
}

function records(name: string, count: number, featureShape = [8], classes = 2): Dataset {
  const size = featureShape.reduce((a, b) => a * b, 1);
  return {
    source: path.join(dir, name),
    count,
    featureShape,
    features: Float32Array.from({ length: count * size }, (_, i) => (i % 7) / 7),
    labels: Int32Array.from({ length: count }, (_, i) => i % classes),
  };
}

function request(overrides: Partial<ShadowRequest> = {}, settings: Partial<ShadowRequest['settings']> = {}): ShadowRequest {
  return {
    architectureFile: modelFile,
    auditRecords: records('audit.csv', 40),
    population: records('population.csv', 20),
    numClasses: 2,
    settings: { count: 4, epochs: 1, batchSize: 8, learningRate: 0.01, optimizer: 'adam', seed: 1, trainSize: 20, queries: ['identity'], workers: 1, ...settings },
    cacheDir: path.join(dir, 'cache'),
    settingsSource: { file: 'privacy-audit.json', fieldPrefix: 'audits[0].shadow' },
    ...overrides,
  };
}

async function rejectsNaming(req: ShadowRequest, field: string, message: RegExp): Promise<void> {
  await assert.rejects(trainShadowModels(req), (e: unknown) => {
    assert.ok(e instanceof InputError, `an InputError, got ${String(e)}`);
    assert.equal(e.location.field, field, `names ${field}: ${e.message}`);
    assert.match(e.message, message);
    return true;
  });
  assert.equal(fs.existsSync(path.join(dir, 'cache')), false, 'nothing was trained or cached');
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadow-inputs-'));
  modelFile = writeModel('model.json', { modelTopology: { class_name: 'Sequential', config: { layers: [dense(6, 'relu', 8), dense(2, 'softmax')] } } });
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('settings', () => {
  test('count below 2', () => rejectsNaming(request({}, { count: 1 }), 'audits[0].shadow.count', /at least 2/));
  test('non-integer epochs', () => rejectsNaming(request({}, { epochs: 1.5 }), 'audits[0].shadow.epochs', /integer/));
  test('negative learning rate', () => rejectsNaming(request({}, { learningRate: -1 }), 'audits[0].shadow.learningRate', /positive/));
  test('unknown optimizer', () => rejectsNaming(request({}, { optimizer: 'rmsprop' as 'adam' }), 'audits[0].shadow.optimizer', /adam/));
  test('unknown query', () => rejectsNaming(request({}, { queries: ['rotate' as 'mirror'] }), 'audits[0].shadow.queries', /unknown query/));
  test('mirror on flat records', () => rejectsNaming(request({}, { queries: ['mirror'] }), 'audits[0].shadow.queries', /image records/));
  test('trainSize beyond audit and population', () =>
    rejectsNaming(request({}, { trainSize: 60 }), 'audits[0].shadow.trainSize', /population records/));
  test('trainSize needing a population that is not given', () =>
    rejectsNaming(request({ population: undefined }, { trainSize: 25 }), 'audits[0].shadow.trainSize', /no population/));
  test('without a settings source the setting is still named', async () => {
    await assert.rejects(trainShadowModels({ ...request({}, { count: 0 }), settingsSource: undefined }), /shadow settings \(field "count"\)/);
  });
});

describe('records and model', () => {
  test('a label outside the classes', async () => {
    const audit = records('audit.csv', 40);
    audit.labels[7] = 2;
    await assert.rejects(trainShadowModels(request({ auditRecords: audit })), (e: unknown) =>
      e instanceof InputError && e.location.record === 7 && /label 2/.test(e.message));
  });

  test('population of another shape', async () => {
    await assert.rejects(trainShadowModels(request({ population: records('population.csv', 20, [4, 2]) })), (e: unknown) =>
      e instanceof InputError && e.location.file.endsWith('population.csv'));
  });

  test('a model whose input does not fit the records', async () => {
    const file = writeModel('wide.json', { modelTopology: { class_name: 'Sequential', config: { layers: [dense(6, 'relu', 10), dense(2, 'softmax')] } } });
    await assert.rejects(trainShadowModels(request({ architectureFile: file })), (e: unknown) =>
      e instanceof InputError && e.location.file === file && /10 input values/.test(e.message));
  });

  test('a model with another number of classes', async () => {
    const file = writeModel('three.json', { modelTopology: { class_name: 'Sequential', config: { layers: [dense(6, 'relu', 8), dense(3, 'softmax')] } } });
    await assert.rejects(trainShadowModels(request({ architectureFile: file })), /3 outputs but the audit has 2 classes/);
  });

  test('a model file that is not JSON, or has no topology', async () => {
    await assert.rejects(trainShadowModels(request({ architectureFile: writeModel('bad.json', '{nope') })), /not valid JSON/);
    await assert.rejects(trainShadowModels(request({ architectureFile: writeModel('empty.json', {}) })), /missing "modelTopology"/);
  });
});

describe('architecture and optimizer facts', () => {
  test('Dense stacks are recognised; other layers say why not', () => {
    assert.deepEqual(denseStackOf({ class_name: 'Sequential', config: { layers: [dense(6, 'relu', 8), dense(2, 'softmax')] } }), {
      inputSize: 8, layers: [{ units: 6, activation: 'relu', useBias: true }, { units: 2, activation: 'softmax', useBias: true }],
    });
    const dropout = denseStackOf({ class_name: 'Sequential', config: { layers: [dense(6, 'relu', 8), { class_name: 'Dropout', config: { rate: 0.5 } }, dense(2, 'softmax')] } });
    assert.match((dropout as { reason: string }).reason, /Dropout/);
    const regularised = { class_name: 'Dense', config: { units: 6, activation: 'relu', batch_input_shape: [null, 8], kernel_regularizer: { class_name: 'L1L2' } } };
    assert.match((denseStackOf({ class_name: 'Sequential', config: { layers: [regularised, dense(2, 'softmax')] } }) as { reason: string }).reason, /regularizer/);
  });

  test('trainingConfig wins over the settings for Adam and plain SGD, not for others', () => {
    const settings = { optimizer: 'sgd' as const, learningRate: 0.5 };
    const tfjsAdam = { optimizer_config: { class_name: 'Adam', config: { learningRate: 0.002, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 } } };
    assert.deepEqual(resolveOptimizer(tfjsAdam, settings), { kind: 'adam', learningRate: 0.002, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, source: 'trainingConfig' });
    const kerasSgd = { optimizer_config: { class_name: 'SGD', config: { learning_rate: 0.1, momentum: 0 } } };
    assert.equal(resolveOptimizer(kerasSgd, settings).learningRate, 0.1);
    const momentum = { optimizer_config: { class_name: 'SGD', config: { learning_rate: 0.1, momentum: 0.9 } } };
    assert.deepEqual([resolveOptimizer(momentum, settings).source, resolveOptimizer(momentum, settings).learningRate], ['settings', 0.5]);
    assert.equal(resolveOptimizer({ optimizer_config: { class_name: 'RMSprop', config: { lr: 0.1 } } }, settings).source, 'settings');
    assert.equal(resolveOptimizer(undefined, settings).kind, 'sgd');
  });
});
