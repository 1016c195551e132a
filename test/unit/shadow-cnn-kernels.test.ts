/**
 * The convolutional trainer's WebAssembly kernels (cnn-kernels.ts: im2col, col2im, max
 * pool) against the JavaScript reference loops (cnn-ops.ts, themselves checked against
 * TF.js in shadow-cnn-layers.test.ts) on shapes with padding, strides, uneven windows
 * and channel counts that are and are not multiples of four. Exact equality: both copy
 * the same floats, and add them in the same order.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { axis, type Window } from '../../src/engine/shadow/cnn-architecture';
import { windowShape } from '../../src/engine/shadow/cnn-kernels';
import { col2im, im2col, maxPool } from '../../src/engine/shadow/cnn-ops';
import { makeRandom } from '../../src/engine/shadow/random';
import { SimdKernels } from '../../src/engine/shadow/simd-kernels';

function windowOf(h: number, w: number, c: number, k: [number, number], s: [number, number], padding: 'valid' | 'same', outC = c): Window {
  const rows = axis(h, k[0], s[0], padding);
  const cols = axis(w, k[1], s[1], padding);
  return { input: { h, w, c }, output: { h: rows.out, w: cols.out, c: outC }, kh: k[0], kw: k[1], sh: s[0], sw: s[1], padTop: rows.pad, padLeft: cols.pad };
}

const CASES: [string, Window][] = [
  ['28x28x1, 3x3 same', windowOf(28, 28, 1, [3, 3], [1, 1], 'same')],
  ['14x14x16, 3x3 same', windowOf(14, 14, 16, [3, 3], [1, 1], 'same')],
  ['9x8x3, 5x5 stride 2 same', windowOf(9, 8, 3, [5, 5], [2, 2], 'same')],
  ['11x13x6, 2x3 stride (1, 2) valid', windowOf(11, 13, 6, [2, 3], [1, 2], 'valid')],
  ['7x7x8, 3x3 stride 2 same', windowOf(7, 7, 8, [3, 3], [2, 2], 'same')],
  ['28x28x16, 2x2 stride 2 valid (the benchmark pool)', windowOf(28, 28, 16, [2, 2], [2, 2], 'valid')],
];
const ROWS = 3;

describe('convolution kernels in WebAssembly against the JavaScript loops', () => {
  const k = new SimdKernels();
  const random = makeRandom(3);

  for (const [name, l] of CASES) {
    test(`im2col and col2im: ${name}`, () => {
      const { h, w, c } = l.input;
      const depth = l.kh * l.kw * c;
      const colsSize = ROWS * l.output.h * l.output.w * depth;
      const src = k.alloc(ROWS * h * w * c);
      const ours = k.alloc(colsSize);
      const reference = k.alloc(colsSize);
      const imageSize = ROWS * h * w * c;
      const folded = k.alloc(imageSize);
      const expected = k.alloc(imageSize);
      const f = k.f32; // after every alloc: growing the memory replaces its buffer
      for (let i = 0; i < imageSize; i++) f[src + i] = random() * 2 - 1;
      f.fill(7, ours, ours + colsSize); // padding must be written as zeros
      k.im2col(windowShape(ROWS, l), src, ours);
      im2col(f, src, ROWS, l, reference);
      assert.deepEqual(f.subarray(ours, ours + colsSize), f.subarray(reference, reference + colsSize));

      for (let i = 0; i < colsSize; i++) f[ours + i] = random() * 2 - 1;
      k.col2im(windowShape(ROWS, l), ours, folded);
      col2im(f, ours, ROWS, l, expected);
      assert.deepEqual(f.subarray(folded, folded + imageSize), f.subarray(expected, expected + imageSize));
    });
  }

  for (const [name, window] of CASES.filter(([, l]) => l.input.c % 4 === 0)) {
    test(`max pool values and argmax: ${name}`, () => {
      const l = { ...window, output: { ...window.output, c: window.input.c } };
      const { h, w, c } = l.input;
      const outSize = ROWS * l.output.h * l.output.w * c;
      const src = k.alloc(ROWS * h * w * c);
      const ours = k.alloc(outSize);
      const arg = k.alloc(outSize);
      const reference = k.alloc(outSize);
      const f = k.f32;
      // ReLU-like data: many ties at zero, which must resolve to the first position.
      for (let i = 0; i < ROWS * h * w * c; i++) f[src + i] = Math.max(0, random() * 2 - 1);
      const referenceArg = new Int32Array(outSize);
      k.maxPool(windowShape(ROWS, l), src, ours, arg);
      maxPool(f, src, ROWS, l, reference, referenceArg);
      assert.deepEqual(f.subarray(ours, ours + outSize), f.subarray(reference, reference + outSize));
      assert.deepEqual(k.i32.subarray(arg, arg + outSize), referenceArg);
    });
  }
});
