/**
 * The ONNX -> TF.js Layers converter, one operator per fixture (test/fixtures/onnx-convert,
 * from scripts/make-onnx-conversion-fixtures.py): the converted model with the ONNX model's
 * own weights gives onnxruntime-node's outputs on the same inputs within 1e-5 absolute
 * (float32 arithmetic in a different order), and onnxruntime gives PyTorch's (or numpy's)
 * outputs written beside the fixture, so both sides are checked against a third.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../../src/engine/backend';
import { buildConvertedModel, readOnnxConversion } from '../../src/engine/artifacts/models/onnx-layers-model';
import { isUnsupportedOnnxOpError } from '../../src/engine/artifacts/models/onnx-to-layers';

const DIR = path.join(__dirname, '..', 'fixtures', 'onnx-convert');
/** Converted vs onnxruntime, both float32. */
const TOLERANCE = 1e-5;
/** onnxruntime vs PyTorch/numpy (the ResNet's sums run longer). */
const REFERENCE_TOLERANCE = 1e-4;

interface Case { inputShape: number[]; rows: number; input: number[]; expected: number[]; outputShape: number[] }

function readCase(name: string): Case {
  return JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Case;
}

async function runtimeOutputs(file: string, c: Case): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(c.input), [c.rows, ...c.inputShape]) };
    const out = await session.run(feeds);
    return out[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/**
 * Fixture -> the converted layers it must contain (so each test exercises its operator):
 * a layer class, or "act:NAME" for an activation (its own layer or folded into the layer before).
 */
const CASES: Record<string, string[]> = {
  gemm: ['Dense'],
  'matmul-add': ['Dense'],
  relu: ['Dense', 'act:relu'],
  'leaky-relu': ['LeakyReLU'],
  sigmoid: ['act:sigmoid'],
  tanh: ['act:tanh'],
  'gelu-erf': ['act:gelu'],
  'gelu-half-first': ['Dense', 'act:gelu'],
  softmax: ['act:softmax'],
  'softmax-opset11': ['act:softmax'],
  'sigmoid-binary': ['Dense', 'act:sigmoid'],
  'log-softmax': ['act:logSoftmax'],
  'softmax-axis-negative': ['Dense', 'act:softmax'],
  conv: ['ZeroPadding2D', 'Conv2D', 'Permute', 'Flatten'],
  'conv-dilated': ['Conv2D'],
  'conv-depthwise': ['DepthwiseConv2D'],
  'conv-nobias': ['Conv2D'],
  maxpool: ['MaxPooling2D'],
  'maxpool-padded': ['Activation', 'act:relu', 'ZeroPadding2D', 'MaxPooling2D'],
  avgpool: ['AveragePooling2D'],
  'avgpool-padded': ['ZeroPadding2D', 'AveragePooling2D'],
  'global-avgpool': ['GlobalAveragePooling2D'],
  batchnorm2d: ['BatchNormalization'],
  batchnorm1d: ['BatchNormalization'],
  flatten: ['Permute', 'Flatten'],
  'reshape-view': ['Flatten'],
  'reshape-image': ['Reshape', 'Conv2D'],
  'add-residual': ['Add'],
  concat: ['Concatenate'],
  'concat-features': ['Concatenate'],
  dropout: ['Dropout', 'Dense'],
  relu6: ['act:relu6'],
  'maxpool-same-signed': ['MaxPooling2D'],
  'avgpool-same-exclude-pad': ['AveragePooling2D'],
  'small-cnn': ['Conv2D', 'MaxPooling2D', 'Permute', 'Flatten', 'Dense'],
  'reduce-mean': ['GlobalAveragePooling2D'],
  'transpose-nhwc': ['Conv2D', 'Flatten'],
  squeeze: ['GlobalAveragePooling2D', 'Reshape'],
  unsqueeze: ['Reshape', 'Flatten', 'Dense'],
  resnet: ['Conv2D', 'BatchNormalization', 'MaxPooling2D', 'Add', 'GlobalAveragePooling2D', 'Dense'],
};

test('onnx-convert fixtures: each converted model matches onnxruntime within 1e-5, and onnxruntime matches PyTorch', async (t) => {
  await initBackend('auto');
  for (const [name, classes] of Object.entries(CASES)) {
    await t.test(name, async () => {
      const file = path.join(DIR, `${name}.onnx`);
      const c = readCase(name);
      const conversion = readOnnxConversion(file);
      const model = await buildConvertedModel(conversion, 'own', file);
      try {
        const present = new Set(model.layers.flatMap((l) => [l.getClassName(), `act:${(l.getConfig() as { activation?: string }).activation}`]));
        for (const cls of classes) assert.ok(present.has(cls), `${name}: expected a ${cls} layer, found ${[...present].join(', ')}`);
        const x = tf.tensor(Float32Array.from(c.input), [c.rows, ...c.inputShape]);
        const y = model.predict(x) as tf.Tensor;
        const converted = y.dataSync();
        tf.dispose([x, y]);
        const runtime = await runtimeOutputs(file, c);
        const diff = maxAbsDiff(converted, runtime);
        assert.ok(diff <= TOLERANCE, `${name}: converted vs onnxruntime max |diff| ${diff} > ${TOLERANCE}`);
        const ref = maxAbsDiff(runtime, c.expected);
        assert.ok(ref <= REFERENCE_TOLERANCE, `${name}: onnxruntime vs PyTorch max |diff| ${ref}`);
        assert.deepEqual(model.outputs[0].shape.slice(1), c.outputShape);
      } finally {
        model.dispose();
      }
    });
  }
});

test('output kinds: Softmax is probabilities, LogSoftmax log-probabilities, one Sigmoid unit sigmoid, a last Gemm logits', () => {
  assert.equal(readOnnxConversion(path.join(DIR, 'softmax.onnx')).output, 'probabilities');
  assert.equal(readOnnxConversion(path.join(DIR, 'log-softmax.onnx')).output, 'log-probabilities');
  assert.equal(readOnnxConversion(path.join(DIR, 'resnet.onnx')).output, 'logits');
  const binary = readOnnxConversion(path.join(DIR, 'sigmoid-binary.onnx'));
  assert.equal(binary.output, 'sigmoid');
  assert.equal(binary.numClasses, 2, 'one sigmoid unit: 2 classes, as the ONNX loader counts them');
  const resnet = readOnnxConversion(path.join(DIR, 'resnet.onnx'));
  assert.deepEqual(resnet.inputShape, [1, 16, 16]);
  assert.equal(resnet.numClasses, 10);
  assert.match(resnet.summary, /Conv2D x6, BatchNormalization x6, Dense x1 \(converted from ONNX\)/);
});

test('an unsupported operator is a typed error naming the operator and the node', () => {
  const file = path.join(DIR, 'unsupported-sin.onnx');
  assert.throws(() => readOnnxConversion(file), (e: unknown) => {
    assert.ok(isUnsupportedOnnxOpError(e), String(e));
    assert.equal(e.opType, 'Sin');
    assert.ok(e.nodeName.length > 0);
    assert.match(e.message, new RegExp(`ONNX operator Sin \\(node "${e.nodeName.replace(/[/.]/g, '\\$&')}"\\)`));
    assert.match(e.message, /unsupported-sin\.onnx/);
    return true;
  });
});
