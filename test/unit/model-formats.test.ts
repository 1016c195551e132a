/**
 * Keras .h5 / .keras, ONNX and TF.js graph models: each loader's probabilities equal the
 * reference computed in numpy/torch by scripts/make-model-fixtures.py, unsupported and
 * Lambda layers are refused by name, pickle-based files are never loaded, and shadow
 * models take their architecture from Keras files or a converted ONNX graph, or a default one for black boxes.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { InputError } from '../../src/engine/errors';
import { loadModel, readKerasModelConfig, UnsupportedLayerError } from '../../src/engine/artifacts/models';
import { normaliseKerasConfig } from '../../src/engine/artifacts/models/keras-config';
import { detectOutputKind, toProbabilities } from '../../src/engine/artifacts/models/black-box-outputs';
import { denseStackOf, readArchitecture, type Architecture } from '../../src/engine/shadow/architecture';
import { runDigest } from '../../src/engine/shadow/cache-key';
import { buildRecordStore } from '../../src/engine/shadow/record-store';
import { trainerFor } from '../../src/engine/shadow/trainer-choice';
import { loadWhiteBoxModel } from '../../src/engine/artifacts/models/gradient-access';
import { proposeManifest } from '../../src/engine/manifest';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'models');
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, any>;
const inputs = Float32Array.from((expected.inputs as number[][]).flat());
const COUNT = (expected.inputs as number[][]).length;

before(async () => {
  await initBackend('auto');
});

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp, what: string): Promise<InputError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof InputError, `${what}: expected an InputError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match(e.message, pattern, `${what}: message`);
    return e;
  }
  assert.fail(`${what}: expected a rejection`);
}

describe('probabilities match the Python reference', () => {
  const cases: [string, string][] = [
    ['keras2-mlp.h5', 'keras-h5'],
    ['keras3-functional.keras', 'keras'],
    ['torch-mlp.onnx', 'onnx'],
    ['torch-fixed-batch.onnx', 'onnx'],
    ['graph-model/model.json', 'tfjs-graph'],
  ];
  for (const [file, format] of cases) {
    test(file, { timeout: 30_000 }, async () => {
      const model = await loadModel(path.join(FIXTURES, file));
      try {
        assert.equal(model.format, format, 'format');
        assert.deepEqual(model.inputShape, [4], 'input shape');
        assert.equal(model.numClasses, 3, 'classes');
        assert.equal(model.parameterCount, expected[file].parameterCount, 'parameter count');
        // A batch size that does not divide the record count exercises the last partial batch.
        const probs = await model.predictProbabilities(inputs, [4], COUNT, { batchSize: 4 });
        const reference = (expected[file].probabilities as number[][]).flat();
        assert.equal(probs.length, reference.length, 'one probability per record and class');
        reference.forEach((r, i) => assert.ok(Math.abs(probs[i] - r) < 1e-5, `${file} value ${i}: ${probs[i]} vs reference ${r}`));
      } finally {
        model.dispose();
      }
    });
  }
});

describe('Keras configs', () => {
  test('readKerasModelConfig returns the config as Keras wrote it and where it came from', async () => {
    const h5 = await readKerasModelConfig(path.join(FIXTURES, 'keras2-mlp.h5'));
    assert.equal(h5.field, 'model_config', 'h5 config source');
    assert.equal(h5.format, 'keras-h5', 'h5 format');
    assert.equal(h5.config.class_name, 'Sequential', 'h5 class');
    assert.equal(h5.kerasVersion, '2.12.0', 'h5 keras version');
    assert.equal((h5.trainingConfig?.optimizer_config as { class_name: string }).class_name, 'Adam', 'h5 optimizer');
    const zip = await readKerasModelConfig(path.join(FIXTURES, 'keras3-functional.keras'));
    assert.equal(zip.field, 'config.json', 'zip config source');
    assert.equal(zip.config.class_name, 'Functional', 'zip class as written');
    assert.equal(zip.kerasVersion, '3.6.0', 'zip keras version');
    assert.deepEqual(zip.trainingConfig, { optimizer_config: { class_name: 'SGD', config: { name: 'SGD', learning_rate: 0.01 } }, loss: 'sparse_categorical_crossentropy' }, 'compile_config mapped');
  });

  test('a Keras 3 Sequential config (InputLayer batch_shape, DTypePolicy, module keys) builds in TF.js', async () => {
    const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    const config = {
      module: 'keras', class_name: 'Sequential', registered_name: null,
      config: {
        name: 'sequential', trainable: true, dtype: policy,
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 5], dtype: 'float32', sparse: false, name: 'input_layer' }, registered_name: null },
          { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', trainable: true, dtype: policy, units: 2, activation: 'softmax', use_bias: true }, registered_name: null, build_config: { input_shape: [null, 5] } },
        ],
      },
      build_config: { input_shape: [null, 5] },
    };
    const normalised = normaliseKerasConfig(config);
    assert.equal(JSON.stringify(normalised).includes('registered_name'), false, 'Keras 3 bookkeeping removed');
    const model = await tfl.models.modelFromJSON({ modelTopology: normalised } as unknown as tfl.ModelAndWeightsConfig);
    try {
      assert.deepEqual(model.inputs[0].shape, [null, 5], 'input shape from batch_shape');
      assert.equal(model.layers.length, 1, 'the InputLayer folded into the first Dense layer');
      assert.equal(model.layers[0].dtype, 'float32', 'DTypePolicy became a dtype name');
    } finally {
      model.dispose();
    }
  });

  test('Lambda and unsupported layers are refused, naming the layer', async () => {
    const lambda = await rejectsWith(loadModel(path.join(FIXTURES, 'keras2-lambda.h5')), /"scale_by_two".*Lambda.*never rebuilt/, 'Lambda');
    assert.ok(lambda instanceof UnsupportedLayerError, 'Lambda: UnsupportedLayerError');
    assert.equal(lambda.location.field, 'model_config.layers[1]', 'Lambda: field');
    assert.equal((lambda as UnsupportedLayerError).layerClass, 'Lambda', 'Lambda: class');
    const other = await rejectsWith(loadModel(path.join(FIXTURES, 'keras2-unsupported.h5')), /"unit_normalization" of class UnitNormalization is not supported/, 'UnitNormalization');
    assert.ok(other instanceof UnsupportedLayerError, 'UnitNormalization: UnsupportedLayerError');
    assert.equal((other as UnsupportedLayerError).layerName, 'unit_normalization', 'layer name');
    assert.equal(other.location.field, 'model_config.layers[1]', 'field');
  });
});

describe('what is never loaded', () => {
  for (const ext of ['.pkl', '.pickle', '.joblib', '.pt', '.pth', '.ckpt', '.bin']) {
    test(`${ext} is refused without being opened`, async () => {
      // The file does not even exist: the refusal comes before any read.
      const file = path.join(FIXTURES, `absent-model${ext}`);
      await rejectsWith(loadModel(file), /scanned statically and never loaded/, ext);
    });
  }

  test('an ONNX model with a symbolic feature dimension is refused', async () => {
    const e = await rejectsWith(loadModel(path.join(FIXTURES, 'torch-dynamic-features.onnx')), /dynamic shape \[batch, features\].*dimension 1 \("features"\) is symbolic/, 'dynamic ONNX');
    assert.equal(e.location.field, 'graph.input[0]', 'field');
  });
});

describe('black-box outputs', () => {
  test('probabilities stay, logits get a softmax, single units become two classes', () => {
    const probs = Float32Array.from([0.2, 0.8, 0.5, 0.5]);
    assert.equal(detectOutputKind(probs, 2, 2), 'probabilities', 'rows summing to 1');
    const logits = Float32Array.from([1, 2, -1, 0.5]);
    assert.equal(detectOutputKind(logits, 2, 2), 'logits', 'negative values');
    const soft = toProbabilities(logits, 2, 2, 'logits');
    // softmax([1, 2]) = [1/(1+e), e/(1+e)]
    assert.ok(Math.abs(soft[0] - 1 / (1 + Math.E)) < 1e-7, `softmax row 0: ${soft[0]}`);
    assert.equal(detectOutputKind(Float32Array.from([0.3, 0.9]), 2, 1), 'sigmoid-probability', 'values in [0, 1]');
    const binary = toProbabilities(Float32Array.from([0]), 1, 1, detectOutputKind(Float32Array.from([-2]), 1, 1));
    assert.deepEqual(Array.from(binary), [0.5, 0.5], 'logit 0 -> [0.5, 0.5]');
  });
});

describe('shadow architecture from Keras files', () => {
  test('readArchitecture reads .h5 and .keras configs in TF.js form', async () => {
    const h5 = await readArchitecture(path.join(FIXTURES, 'keras2-mlp.h5'));
    assert.equal(h5.topology.class_name, 'Sequential', 'h5 topology');
    assert.equal((h5.trainingConfig?.optimizer_config as { class_name: string }).class_name, 'Adam', 'training config kept');
    const model = await tfl.models.modelFromJSON({ modelTopology: h5.topology } as unknown as tfl.ModelAndWeightsConfig);
    assert.equal(model.countParams(), expected['keras2-mlp.h5'].parameterCount, 'same architecture, fresh weights');
    model.dispose();
    const zip = await readArchitecture(path.join(FIXTURES, 'keras3-functional.keras'));
    assert.equal(zip.topology.class_name, 'Model', 'Keras 3 Functional becomes a TF.js Model');
  });

  test('a Lambda layer in the architecture file is refused by name', async () => {
    await rejectsWith(readArchitecture(path.join(FIXTURES, 'keras2-lambda.h5')), /Lambda/, 'Lambda architecture');
  });
});

describe('default shadow architecture for black boxes', () => {
  /** Builds the topology in TF.js and checks it is the default Dense stack for the shape. */
  async function checkDefault(arch: Architecture, inputShape: number[], classes: number, what: string): Promise<void> {
    const size = inputShape.reduce((a, b) => a * b, 1);
    assert.ok(arch.defaulted, `${what}: marked as defaulted`);
    assert.equal(arch.trainingConfig, undefined, `${what}: no training config of its own (the shadow settings apply)`);
    assert.equal(arch.defaulted.summary, `${inputShape.length > 1 ? 'Flatten-' : ''}Dense 128-Dense ${classes}`, `${what}: summary`);
    assert.deepEqual(denseStackOf(arch.topology), {
      inputSize: size,
      layers: [{ units: 128, activation: 'relu', useBias: true }, { units: classes, activation: 'softmax', useBias: true }],
    }, `${what}: a Dense stack the stacked trainer takes`);
    const model = await tfl.models.modelFromJSON({ modelTopology: arch.topology } as unknown as tfl.ModelAndWeightsConfig);
    try {
      assert.deepEqual(model.inputs[0].shape, [null, ...inputShape], `${what}: TF.js input shape`);
      assert.deepEqual(model.outputs[0].shape, [null, classes], `${what}: TF.js output shape`);
      assert.equal(model.countParams(), size * 128 + 128 + 128 * classes + classes, `${what}: parameters of Dense 128 + Dense ${classes}`);
    } finally {
      model.dispose();
    }
  }

  // ONNX graphs are converted to their own architecture (test/unit/onnx-*.test.ts); these two are the default's cases.
  for (const file of ['graph-model/model.json']) {
    test(`${file}: Dense 128-Dense k for the shape the loader reports`, { timeout: 30_000 }, async () => {
      const arch = await readArchitecture(path.join(FIXTURES, file));
      // The loader (onnxruntime / tfjs-converter, which runs the model) is the independent reference.
      const loaded = await loadModel(path.join(FIXTURES, file));
      try {
        const shape = loaded.inputShape;
        assert.ok(shape.every((d): d is number => typeof d === 'number'), `${file}: the loader reports a fixed input shape [${shape.join(', ')}]`);
        await checkDefault(arch, shape, loaded.numClasses, file);
      } finally {
        loaded.dispose();
      }
      const kind = file.endsWith('.onnx') ? 'an ONNX model' : 'a TF.js graph model';
      assert.equal(arch.defaulted?.reason, `${file.endsWith('.onnx') ? file : 'graph-model/model.json'} is a black box (${kind})`, `${file}: reason`);
    });
  }

  for (const file of ['torch-mlp.onnx', 'torch-fixed-batch.onnx']) {
    test(`${file}: its own architecture, converted from the graph, for the shape the loader reports`, { timeout: 30_000 }, async () => {
      const arch = await readArchitecture(path.join(FIXTURES, file));
      assert.equal(arch.defaulted, undefined, `${file}: not defaulted`);
      const loaded = await loadModel(path.join(FIXTURES, file));
      const model = await tfl.models.modelFromJSON({ modelTopology: arch.topology } as unknown as tfl.ModelAndWeightsConfig);
      try {
        assert.deepEqual(model.inputs[0].shape, [null, ...loaded.inputShape], `${file}: TF.js input shape`);
        assert.deepEqual(model.outputs[0].shape, [null, loaded.numClasses], `${file}: TF.js output shape`);
        assert.equal(model.countParams(), loaded.parameterCount, `${file}: as many parameters as the ONNX initializers`);
      } finally {
        model.dispose();
        loaded.dispose();
      }
    });
  }

  test('the stacked trainer takes the default for records of the declared shape', async () => {
    const arch = await readArchitecture(path.join(FIXTURES, 'torch-mlp.onnx'));
    const records = { source: 'records', count: 2, featureShape: [4], features: new Float32Array(8), labels: Int32Array.from([0, 2]) };
    const choice = trainerFor({ architecture: arch, store: buildRecordStore(records, undefined), numClasses: 3 });
    assert.equal(choice.trainer, 'stacked', `stacked trainer: ${choice.reason}`);
    const wrong = { ...records, featureShape: [5], features: new Float32Array(10) };
    assert.throws(() => trainerFor({ architecture: arch, store: buildRecordStore(wrong, undefined), numClasses: 3 }), /takes 4 input values per record but the records have 5/, 'records of another shape are refused');
  });

  test('the shadow cache key covers the default topology', async () => {
    const settings = { epochs: 1, batchSize: 8, learningRate: 0.001, optimizer: 'adam', seed: 3, trainSize: 16, queries: ['identity'] };
    const optimizer = { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, source: 'settings' } as const;
    const onnx = await readArchitecture(path.join(FIXTURES, 'torch-mlp.onnx'));
    const again = await readArchitecture(path.join(FIXTURES, 'torch-mlp.onnx'));
    const keras = await readArchitecture(path.join(FIXTURES, 'keras2-mlp.h5'));
    const digest = (a: Architecture) => runDigest('records', a, settings, optimizer);
    assert.equal(digest(onnx), digest(again), 'the same default gives the same key (cached shadows are found again)');
    assert.notEqual(digest(onnx), digest({ ...keras, trainingConfig: undefined }), 'another topology, same everything else: another key');
    const wider = { ...onnx, topology: JSON.parse(JSON.stringify(onnx.topology).replace('"units":3', '"units":4')) };
    assert.notEqual(JSON.stringify(wider.topology), JSON.stringify(onnx.topology), 'the edit changed the topology');
    assert.notEqual(digest(onnx), digest(wider), 'a default for another class count: another key');
  });

  test('a graph model of rank-3 input gets a Flatten, and a 1-unit output means 2 classes', { timeout: 30_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-default-arch-'));
    try {
      const dims = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
      const write = (name: string, signature: Record<string, unknown>): string => {
        const file = path.join(dir, name, 'model.json');
        fs.mkdirSync(path.dirname(file));
        fs.writeFileSync(file, JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [], signature }));
        return file;
      };
      const image = write('image', { inputs: { 'x:0': { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, 2, 3) } }, outputs: { 'y:0': { name: 'y:0', tensorShape: dims(-1, 5) } } });
      await checkDefault(await readArchitecture(image), [2, 3], 5, 'rank-3 input');
      const binary = write('binary', { inputs: { 'x:0': { name: 'x:0', tensorShape: dims(-1, 7) } }, outputs: { 'y:0': { name: 'y:0', tensorShape: dims(-1, 1) } } });
      await checkDefault(await readArchitecture(binary), [7], 2, 'sigmoid output');
      const noOutputs = write('no-outputs', { inputs: { 'x:0': { name: 'x:0', tensorShape: dims(-1, 7) } } });
      const e = await rejectsWith(readArchitecture(noOutputs), /declares no outputs.*set "shadow": \{"architecture"/, 'no declared outputs');
      assert.equal(e.location.field, 'signature.outputs', 'no outputs: field');
      const dynamic = write('dynamic', { inputs: { 'x:0': { name: 'x:0', tensorShape: dims(-1, 2, -1) } }, outputs: { 'y:0': { name: 'y:0', tensorShape: dims(-1, 5) } } });
      await rejectsWith(readArchitecture(dynamic), /shape \[\?, 2, \?\]: dimension 2 \("unknown"\) is dynamic.*set "shadow": \{"architecture"/, 'dynamic graph dim');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a truncated ONNX file gives an InputError or, cut after the graph, the same default; never a crash', async () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'torch-mlp.onnx'));
    const whole = await readArchitecture(path.join(FIXTURES, 'torch-mlp.onnx'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-onnx-cut-'));
    try {
      const file = path.join(dir, 'cut.onnx');
      let refused = 0;
      for (let length = 0; length < bytes.length; length += 7) {
        fs.writeFileSync(file, bytes.subarray(0, length));
        try {
          const arch = await readArchitecture(file);
          assert.deepEqual(arch.topology, whole.topology, `cut at ${length}: a parse that succeeds reads the same shapes`);
        } catch (e) {
          assert.ok(e instanceof InputError, `cut at ${length}: ${(e as Error).message}`);
          refused++;
        }
      }
      assert.ok(refused > 0, `cuts inside the graph are refused (${refused} were)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a dynamic ONNX feature dimension gives a clear error naming it', async () => {
    const e = await rejectsWith(readArchitecture(path.join(FIXTURES, 'torch-dynamic-features.onnx')),
      /input "[^"]+" has shape \[batch, features\]: dimension 1 \("features"\) is dynamic.*set "shadow": \{"architecture"/, 'dynamic ONNX');
    assert.equal(e.location.field, 'graph.input[0]', 'field');
    assert.match(e.location.file, /torch-dynamic-features\.onnx$/, 'names the ONNX file');
  });
});

describe('white-box access', () => {
  test('a Keras file gives per-layer gradient access like a model.json', async () => {
    const model = await loadWhiteBoxModel(path.join(FIXTURES, 'keras2-mlp.h5'));
    try {
      assert.deepEqual(model.layers.map((l) => l.name), ['dense', 'batch_normalization', 'dense_1'], 'layers with weights');
      const norms = await model.perExampleGradientNorms(inputs, [4], Int32Array.from({ length: COUNT }, (_, i) => i % 3), COUNT);
      assert.ok(norms.every((n) => n.weightNorms.every((v) => Number.isFinite(v) && v >= 0)), 'finite gradient norms');
    } finally {
      model.dispose();
    }
    // An ONNX model is converted to TF.js layers with its own weights.
    const onnx = await loadWhiteBoxModel(path.join(FIXTURES, 'torch-mlp.onnx'));
    try {
      assert.deepEqual(onnx.layers.map((l) => [l.className, l.method]), [['Dense', 'dense-factorised'], ['Dense', 'dense-factorised']], 'ONNX: its Dense layers');
      const norms = await onnx.perExampleGradientNorms(inputs, [4], Int32Array.from({ length: COUNT }, (_, i) => i % 3), COUNT);
      assert.ok(norms.every((n) => n.weightNorms.every((v) => Number.isFinite(v) && v >= 0)), 'ONNX: finite gradient norms');
    } finally {
      onnx.dispose();
    }
  });
});

describe('proposing a manifest', () => {
  test('Keras and ONNX files beside data are proposed; a file without the right magic is not', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-propose-models-'));
    try {
      for (const f of ['keras2-mlp.h5', 'keras3-functional.keras', 'torch-mlp.onnx', 'audit/members.csv', 'audit/nonmembers.csv']) {
        fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, path.basename(f)));
      }
      fs.writeFileSync(path.join(dir, 'weights-notes.h5'), 'not an HDF5 file');
      const proposal = JSON.parse(proposeManifest(dir).text) as { audits: { name: string; model: string; members: string }[] };
      assert.deepEqual(proposal.audits.map((a) => a.model).sort(), ['keras2-mlp.h5', 'keras3-functional.keras', 'torch-mlp.onnx'], 'one audit per real model file');
      assert.deepEqual(proposal.audits.map((a) => a.name).sort(), ['keras2-mlp', 'keras3-functional', 'torch-mlp'], 'audits named after the files');
      assert.ok(proposal.audits.every((a) => a.members === 'members.csv'), 'members found beside the models');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
