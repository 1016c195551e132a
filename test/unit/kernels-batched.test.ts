/**
 * BatchMatMul with both operands batched (e.g. stacked models, [S, B, in] x [S, in, out]):
 * our per-batch XNNPACK path against the cpu backend, and that it leaks neither tensors
 * nor XNNPACK operators (each per-batch view id must take its packed weights with it).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../../src/engine/backend';
import { makeRandom } from '../../src/engine/shadow/random';
import { assertMatchesReference } from '../helpers/backend-compare';

function values(size: number, seed: number): Float32Array {
  const random = makeRandom(seed);
  return Float32Array.from({ length: size }, () => random() * 2 - 1);
}

async function compare(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): Promise<void> {
  const a = values(aShape.reduce((x, y) => x * y, 1), 1);
  const b = values(bShape.reduce((x, y) => x * y, 1), 2);
  const run = async (backend: string): Promise<{ shape: number[]; data: Float32Array }> => {
    assert.ok(await tf.setBackend(backend), `backend ${backend}`);
    const out = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB));
    const result = { shape: out.shape, data: Float32Array.from(out.dataSync()) };
    out.dispose();
    return result;
  };
  const wasm = await run('wasm');
  const cpu = await run('cpu');
  await tf.setBackend('wasm');
  assertMatchesReference(wasm, cpu, 1e-5);
}

before(async () => {
  assert.equal((await initBackend('wasm')).name, 'wasm');
});

describe('both operands batched', () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    test(`[3] batch, transposeA=${ta} transposeB=${tb}`, async () => {
      // m=40, k=60, n=50 per batch: above the per-batch rewrite threshold.
      const aShape = ta ? [3, 60, 40] : [3, 40, 60];
      const bShape = tb ? [3, 50, 60] : [3, 60, 50];
      await compare(aShape, bShape, ta, tb);
    });
  }

  test('rank-4 batch [2, 3]', async () => {
    await compare([2, 3, 33, 70], [2, 3, 70, 41], false, false);
  });

  test('stacked-model shapes: [4, 64, 196] x [4, 196, 32]', async () => {
    await compare([4, 64, 196], [4, 196, 32], false, false);
  });

  test('broadcast batch dimensions still work (stock loop)', async () => {
    await compare([2, 1, 40, 60], [1, 3, 60, 50], false, false);
  });

  test('no tensor and no packed-weight memory is left behind', async () => {
    const backend = tf.backend() as BackendWasm;
    const heap = () => (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;
    const product = () => tf.tidy(() => tf.matMul(tf.ones([4, 128, 196]), tf.ones([4, 196, 128])).dataSync());
    product(); // warm-up: first allocations grow the heap
    const tensorsBefore = tf.memory().numTensors;
    const idsBefore = backend.numDataIds();
    const heapBefore = heap();
    // Each call packs 4 x 196 x 128 floats (~400 KB); leaked operators would add ~80 MB here,
    // more than any free space earlier tests can have left in the heap.
    for (let i = 0; i < 200; i++) product();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors');
    assert.equal(backend.numDataIds(), idsBefore, 'backend data ids');
    assert.ok(heap() - heapBefore < 16 * 1024 * 1024, `wasm heap grew by ${heap() - heapBefore} bytes`);
  });
});
