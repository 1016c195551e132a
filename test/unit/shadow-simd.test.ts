/**
 * The stacked trainer's WebAssembly SIMD kernels against plain double-precision
 * JavaScript: products of every tile-edge combination (rows not a multiple of 4,
 * columns not a multiple of 8 or 4), a transposed left operand, sub-matrix views, and
 * Adam including the scalar tail.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRandom } from '../../src/engine/shadow/random';
import { SimdKernels, type MatrixRef } from '../../src/engine/shadow/simd-kernels';
import { sleb, uleb } from '../../src/engine/shadow/wasm-assembler';

function fill(k: SimdKernels, offset: number, count: number, seed: number): void {
  const random = makeRandom(seed);
  const f = k.f32;
  for (let i = 0; i < count; i++) f[offset + i] = random() * 2 - 1;
}

function at(f: Float32Array, ref: MatrixRef, i: number, j: number): number {
  return f[ref.offset + i * ref.rowStride + j * ref.colStride];
}

describe('LEB128', () => {
  test('encodes like the WebAssembly spec examples', () => {
    assert.deepEqual(uleb(0), [0]);
    assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
    assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
    assert.deepEqual(sleb(63), [0x3f]);
    assert.deepEqual(sleb(64), [0xc0, 0x00]);
    assert.deepEqual(sleb(-64), [0x40]);
  });
});

describe('gemm', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [4, 8, 3], [5, 9, 7], [7, 13, 1], [3, 4, 5], [13, 19, 33], [64, 10, 128], [130, 37, 96],
    // K past K_BLOCK: sliced, later slices accumulated into C.
    [9, 21, 600], [5, 12, 257],
  ];
  for (const transposeA of [false, true]) {
    for (const [m, n, kk] of shapes) {
      test(`${m}x${kk} times ${kk}x${n}${transposeA ? ', A transposed' : ''}`, () => {
        const k = new SimdKernels();
        const a = k.alloc(m * kk);
        const b = k.alloc(kk * n);
        // C sits in a wider buffer: the kernels must write only its m x n entries.
        const ldc = n + 3;
        const c = k.alloc(m * ldc + 8);
        fill(k, a, m * kk, m * 31 + kk);
        fill(k, b, kk * n, n * 17 + kk);
        const sentinel = 12345;
        k.f32.fill(sentinel, c, c + m * ldc + 8);
        const A: MatrixRef = transposeA ? { offset: a, rowStride: 1, colStride: m } : { offset: a, rowStride: kk, colStride: 1 };
        const B: MatrixRef = { offset: b, rowStride: n, colStride: 1 };
        const C: MatrixRef = { offset: c, rowStride: ldc, colStride: 1 };
        k.gemm(A, B, C, m, n, kk);
        const f = k.f32;
        let maxErr = 0;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let sum = 0;
            for (let q = 0; q < kk; q++) sum += at(f, A, i, q) * at(f, B, q, j);
            maxErr = Math.max(maxErr, Math.abs(sum - at(f, C, i, j)));
          }
          for (let j = n; j < ldc && i * ldc + j < m * ldc; j++) assert.equal(at(f, C, i, j), sentinel, `C padding (${i}, ${j}) untouched`);
        }
        assert.ok(maxErr < 1e-5 * Math.max(1, kk), `max error ${maxErr}`);
      });
    }
  }

  test('products grow the memory on demand and keep earlier buffers', () => {
    const k = new SimdKernels();
    const first = k.alloc(16);
    k.f32.set([1, 2, 3, 4], first);
    const big = k.alloc(8 * 1024 * 1024); // 32 MiB: past the initial memory
    k.f32[big + 8 * 1024 * 1024 - 1] = 7;
    assert.deepEqual(Array.from(k.f32.subarray(first, first + 4)), [1, 2, 3, 4], 'earlier values survive growth');
    assert.equal(k.f32[big + 8 * 1024 * 1024 - 1], 7);
  });
});

describe('adam', () => {
  for (const count of [4, 10, 33]) {
    test(`${count} values, steps 1 to 3, matches the float64 formula`, () => {
      const k = new SimdKernels();
      const w = k.alloc(count);
      const g = k.alloc(count);
      const m = k.alloc(count);
      const v = k.alloc(count);
      fill(k, w, count, 1);
      const spec = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
      const W = Float64Array.from(k.f32.subarray(w, w + count));
      const M = new Float64Array(count);
      const V = new Float64Array(count);
      for (let step = 1; step <= 3; step++) {
        fill(k, g, count, 10 + step);
        const G = Float64Array.from(k.f32.subarray(g, g + count));
        k.adam(w, g, m, v, count, step, spec);
        for (let i = 0; i < count; i++) {
          M[i] = 0.9 * M[i] + 0.1 * G[i];
          V[i] = 0.999 * V[i] + 0.001 * G[i] * G[i];
          W[i] -= (0.01 * M[i] / (1 - 0.9 ** step)) / (Math.sqrt(V[i] / (1 - 0.999 ** step)) + 1e-7);
        }
      }
      const f = k.f32;
      for (let i = 0; i < count; i++) {
        assert.ok(Math.abs(f[w + i] - W[i]) < 1e-6, `w[${i}] = ${f[w + i]}, expected ${W[i]}`);
        assert.ok(Math.abs(f[m + i] - M[i]) < 1e-6, `m[${i}] = ${f[m + i]}, expected ${M[i]}`);
        assert.ok(Math.abs(f[v + i] - V[i]) < 1e-6, `v[${i}] = ${f[v + i]}, expected ${V[i]}`);
      }
    });
  }
});

describe('elementwise kernels', () => {
  // 5 rows of 7 columns in a row stride of 9: exercises the 4-wide groups, the scalar
  // tail and the untouched padding between rows.
  const rows = 5;
  const cols = 7;
  const ld = 9;

  function setup(): { k: SimdKernels; x: number; v: number; before: Float32Array } {
    const k = new SimdKernels();
    const x = k.alloc(rows * ld);
    const v = k.alloc(cols);
    fill(k, x, rows * ld, 3);
    fill(k, v, cols, 4);
    return { k, x, v, before: k.f32.slice(x, x + rows * ld) };
  }

  test('addRows adds the vector to each row, padding untouched', () => {
    const { k, x, v, before } = setup();
    k.addRows(x, v, rows, cols, ld);
    const f = k.f32;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < ld; j++) {
        const expected = j < cols ? Math.fround(before[i * ld + j] + f[v + j]) : before[i * ld + j];
        assert.equal(f[x + i * ld + j], expected, `(${i}, ${j})`);
      }
    }
  });

  test('relu and reluMask, including the tail', () => {
    const { k, x, before } = setup();
    const count = rows * ld;
    const d = k.alloc(count);
    fill(k, d, count, 5);
    const deltas = k.f32.slice(d, d + count);
    k.reluMask(d, x, count);
    k.relu(x, count);
    const f = k.f32;
    for (let i = 0; i < count; i++) {
      assert.equal(f[x + i], Math.max(0, before[i]), `relu ${i}`);
      assert.equal(f[d + i], before[i] > 0 ? deltas[i] : 0, `mask ${i}`);
    }
  });

  test('columnSums over rows with a stride', () => {
    const { k, x, before } = setup();
    const out = k.alloc(cols);
    k.f32.fill(99, out, out + cols);
    k.columnSums(x, rows, cols, ld, out);
    const f = k.f32;
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += before[i * ld + j];
      assert.ok(Math.abs(f[out + j] - sum) < 1e-5, `column ${j}: ${f[out + j]} vs ${sum}`);
    }
  });
});
