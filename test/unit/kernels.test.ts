/**
 * Our wasm training kernels (src/engine/backend/wasm-kernels) against the reference
 * cpu backend: same inputs, max relative error max|wasm - cpu| / max|cpu| < 1e-5.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { conv2dBackpropFilterConfig } from '../../src/engine/backend/wasm-kernels/conv2d-backprop-filter';
import { conv2dBackpropInputConfig } from '../../src/engine/backend/wasm-kernels/conv2d-backprop-input';
import { registerWasmTrainingKernels, restoreStockWasmKernels } from '../../src/engine/backend/wasm-kernels';
import { maxPoolGradConfig } from '../../src/engine/backend/wasm-kernels/max-pool-grad';
import { assertMatchesReference } from '../helpers/backend-compare';

const TOLERANCE = 1e-5;

/** Deterministic uniform values in [lo, hi) (mulberry32), so failures reproduce. */
function randomValues(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

interface Input {
  shape: number[];
  values?: Float32Array;
}

let seed = 1;

interface Result {
  shape: number[];
  data: Float32Array;
}

/** Runs `compute` on wasm and on cpu with the same inputs; results are copied out. */
async function onBothBackends(
  inputs: Input[],
  compute: (...xs: tf.Tensor[]) => tf.Tensor,
): Promise<{ wasm: Result; cpu: Result }> {
  const values = inputs.map((i) => i.values ?? randomValues(i.shape.reduce((a, b) => a * b, 1), seed++));
  const run = async (backend: string): Promise<Result> => {
    assert.ok(await tf.setBackend(backend));
    const result = tf.tidy(() => compute(...inputs.map((i, k) => tf.tensor(values[k], i.shape))));
    const copy = { shape: result.shape, data: Float32Array.from(result.dataSync()) };
    result.dispose();
    return copy;
  };
  return { wasm: await run('wasm'), cpu: await run('cpu') };
}

async function assertMatchesCpu(inputs: Input[], compute: (...xs: tf.Tensor[]) => tf.Tensor): Promise<void> {
  const { wasm, cpu } = await onBothBackends(inputs, compute);
  assertMatchesReference(wasm, cpu, TOLERANCE);
}

before(async () => {
  const info = await initBackend('wasm');
  assert.equal(info.name, 'wasm');
});

test('the wasm backend runs our training kernels, and the stock ones can be restored', () => {
  assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), conv2dBackpropFilterConfig);
  assert.equal(tf.getKernel(tf.Conv2DBackpropInput, 'wasm'), conv2dBackpropInputConfig);
  assert.equal(tf.getKernel(tf.MaxPoolGrad, 'wasm'), maxPoolGradConfig);
  const ours = [tf.BatchMatMul, tf._FusedMatMul].map((name) => tf.getKernel(name, 'wasm'));

  restoreStockWasmKernels();
  try {
    assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), undefined, 'tfjs-wasm 4.22 has no filter gradient');
    assert.notEqual(tf.getKernel(tf.MaxPoolGrad, 'wasm'), maxPoolGradConfig);
    [tf.BatchMatMul, tf._FusedMatMul].forEach((name, i) => {
      const stock = tf.getKernel(name, 'wasm');
      assert.notEqual(stock.kernelFunc, ours[i].kernelFunc, `${name} was replaced`);
      // Ours delegates to the stock kernel, whose setup binds the wasm function.
      assert.equal(ours[i].setupFunc, stock.setupFunc, `${name} keeps the stock setup`);
    });
  } finally {
    registerWasmTrainingKernels();
  }
  assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), conv2dBackpropFilterConfig);
});

describe('BatchMatMul and _FusedMatMul', () => {
  const transposes = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const;
  const shapeOf = (rows: number, cols: number, transposed: boolean, batch: number[] = []): number[] =>
    transposed ? [...batch, cols, rows] : [...batch, rows, cols];

  for (const [ta, tb] of transposes) {
    const name = `transposeA=${ta} transposeB=${tb}`;
    test(`2-D product, ${name}`, async () => {
      for (const [m, k, n] of [[70, 130, 50], [128, 196, 10], [5, 300, 40]]) {
        await assertMatchesCpu([{ shape: shapeOf(m, k, ta) }, { shape: shapeOf(k, n, tb) }], (a, b) =>
          tf.matMul(a, b, ta, tb),
        );
      }
    });
    test(`batched a times shared b, ${name}`, async () => {
      await assertMatchesCpu([{ shape: shapeOf(40, 60, ta, [2, 3]) }, { shape: shapeOf(60, 30, tb) }], (a, b) =>
        tf.matMul(a, b, ta, tb),
      );
    });
    test(`batched a times batched b (stock path), ${name}`, async () => {
      await assertMatchesCpu([{ shape: shapeOf(30, 40, ta, [3]) }, { shape: shapeOf(40, 20, tb, [3]) }], (a, b) =>
        tf.matMul(a, b, ta, tb),
      );
    });
    test(`small product below the rewrite threshold, ${name}`, async () => {
      await assertMatchesCpu([{ shape: shapeOf(8, 8, ta) }, { shape: shapeOf(8, 8, tb) }], (a, b) =>
        tf.matMul(a, b, ta, tb),
      );
    });
    test(`fused product with bias and activation, ${name}`, async () => {
      for (const activation of ['linear', 'relu', 'elu'] as const) {
        await assertMatchesCpu(
          [{ shape: shapeOf(64, 90, ta, [1]) }, { shape: shapeOf(90, 33, tb, [1]) }, { shape: [33] }],
          (a, b, bias) => tf.fused.matMul({ a, b, bias, transposeA: ta, transposeB: tb, activation }),
        );
      }
    });
  }

  test('a buffer reused under another shape is not multiplied with a stale packing', async () => {
    // XNNPACK caches its packed copy of b by buffer id alone; a reshape shares the buffer.
    await assertMatchesCpu([{ shape: [300, 6] }, { shape: [300, 12] }, { shape: [6, 20] }], (a1, a2, b) => {
      const first = tf.matMul(a1, b);
      const second = tf.matMul(a2, tf.reshape(b, [12, 10]));
      return tf.concat([tf.reshape(first, [-1]), tf.reshape(second, [-1])]);
    });
  });
});

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
}

const convCases: ConvCase[] = [
  // First-layer shape (KH*KW*CI <= CO): the im2col formulation of the filter gradient.
  { x: [2, 9, 9, 1], filter: [3, 3, 1, 16], strides: 1, pad: 'same' },
  { x: [3, 11, 11, 1], filter: [3, 3, 1, 12], strides: 2, pad: 'same' },
  { x: [2, 10, 9, 2], filter: [3, 3, 2, 20], strides: 2, pad: 'valid' },
  // More input channels: the convolution formulation.
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { x: [2, 10, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid' },
  { x: [2, 9, 9, 4], filter: [3, 3, 4, 6], strides: 2, pad: 'same' },
  { x: [2, 7, 7, 4], filter: [3, 3, 4, 4], strides: 3, pad: 'valid' },
  { x: [2, 8, 8, 3], filter: [2, 2, 3, 2], strides: 2, pad: 'same' },
  { x: [2, 12, 10, 3], filter: [5, 3, 3, 7], strides: [2, 1], pad: 'same' },
  { x: [2, 8, 8, 5], filter: [3, 3, 5, 6], strides: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [2, 8, 8, 1], filter: [3, 3, 1, 9], strides: 2, pad: [[0, 0], [2, 0], [1, 1], [0, 0]] },
  // Padding wider than the filter: some outputs read only padding.
  { x: [2, 6, 6, 2], filter: [3, 3, 2, 3], strides: 1, pad: [[0, 0], [3, 0], [0, 4], [0, 0]] },
];

function describeConv(c: ConvCase): string {
  return `x ${c.x.join('x')}, filter ${c.filter.join('x')}, strides ${c.strides}, pad ${JSON.stringify(c.pad)}`;
}

function forwardOutputShape(c: ConvCase): number[] {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
}

describe('Conv2DBackpropFilter', () => {
  for (const c of convCases) {
    test(describeConv(c), async () => {
      await assertMatchesCpu([{ shape: c.x }, { shape: forwardOutputShape(c) }], (x, dy) =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          filterShape: c.filter,
        }) as tf.Tensor,
      );
    });
  }

  test('is zero when every filter tap reads padding', async () => {
    assert.ok(await tf.setBackend('wasm'));
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [2, 0], [0, 0], [0, 0]];
    const dw = tf.tidy(() => {
      const x = tf.ones([1, 1, 4, 2]);
      const dy = tf.ones(tf.backend_util.computeConv2DInfo([1, 1, 4, 2], [1, 1, 2, 3], 3, 1, pad).outShape);
      return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
        strides: 3, pad, dataFormat: 'NHWC', filterShape: [1, 1, 2, 3],
      }) as tf.Tensor;
    });
    assert.deepEqual(dw.shape, [1, 1, 2, 3]);
    assert.deepEqual(Array.from(dw.dataSync()), [0, 0, 0, 0, 0, 0]);
    dw.dispose();
  });
});

describe('Conv2DBackpropInput', () => {
  for (const c of convCases) {
    test(describeConv(c), async () => {
      await assertMatchesCpu([{ shape: forwardOutputShape(c) }, { shape: c.filter }], (dy, filter) =>
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          inputShape: c.x,
        }) as tf.Tensor,
      );
    });
  }
});

describe('MaxPoolGrad', () => {
  const xShape = [2, 7, 6, 3];
  const size = xShape.reduce((a, b) => a * b, 1);
  const inputs: [string, Float32Array][] = [
    ['mixed-sign values', randomValues(size, 101)],
    // All-negative windows: the stock wasm kernel routes their gradient nowhere.
    ['all-negative values', randomValues(size, 102, -1, -0.01)],
    // ReLU outputs: many windows tie at 0; the first maximum takes the gradient.
    ['ties at zero', randomValues(size, 103).map((v) => Math.max(0, v - 0.5))],
  ];
  const pools = [
    { filterSize: 2, strides: 2, pad: 'valid' },
    { filterSize: 2, strides: 2, pad: 'same' },
    { filterSize: 3, strides: 2, pad: 'same' },
    { filterSize: 3, strides: 1, pad: 'same' },
  ] as const;
  for (const [label, values] of inputs) {
    for (const p of pools) {
      test(`${label}, pool ${p.filterSize} stride ${p.strides} ${p.pad}`, async () => {
        await assertMatchesCpu([{ shape: xShape, values }], (x) => {
          const y = tf.maxPool(x as tf.Tensor4D, p.filterSize, p.strides, p.pad);
          const dy = tf.reshape(tf.range(1, 1 + y.size), y.shape); // distinct, so misrouting shows
          return tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x, output: y }, { ...p }) as tf.Tensor;
        });
      });
    }
  }
});

test('the kernels release every intermediate buffer', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const backend = tf.backend();
  const before = backend.numDataIds();
  tf.tidy(() => {
    const a = tf.ones([64, 96]);
    const b = tf.ones([96, 40]);
    tf.matMul(a, b);
    tf.matMul(tf.transpose(a), b, true, false);
    tf.matMul(a, tf.transpose(b), false, true);
    tf.fused.matMul({ a: tf.transpose(a), b, transposeA: true, bias: tf.ones([40]), activation: 'relu' });
    for (const c of [convCases[0], convCases[3], convCases[6], convCases[10]]) {
      const x = tf.ones(c.x);
      const dy = tf.ones(forwardOutputShape(c));
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: c.filter });
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: tf.ones(c.filter) }, { ...attrs, inputShape: c.x });
    }
    const x = tf.ones([2, 6, 6, 3]) as tf.Tensor4D;
    const y = tf.maxPool(x, 2, 2, 'valid');
    tf.engine().runKernel(tf.MaxPoolGrad, { dy: y, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' });
  });
  assert.equal(backend.numDataIds(), before);
});
