/**
 * Rewrites a (batched) matrix product so that tfjs-wasm 4.22 takes its XNNPACK path.
 *
 * The stock wasm kernels use XNNPACK only when neither operand is transposed and
 * both have batch 1; anything else falls to a scalar loop that is 7-14x slower. Every
 * Dense backward pass multiplies by a transposed operand, so training spends most of
 * its time there. Here we materialise the transposes (cheap, linear) and fold a's
 * batch into its rows when b is shared by all batches.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { release, reshape, sizeOf, transpose, type TensorInfo } from './wasm-calls';

/**
 * Below this many multiply-adds a transposed product stays on the stock loop: the
 * copies and XNNPACK's per-call weight packing then cost more than they save.
 */
const MIN_MACS_FOR_REWRITE = 32 * 1024;

export interface FastMatMulOperands {
  /** Shape [1, batchA * M, K]. */
  a: TensorInfo;
  /** Shape [1, K, N]. */
  b: TensorInfo;
  /** The shape the product must be reported with. */
  outShape: number[];
  /** Intermediates to release after the product is computed. */
  temporaries: TensorInfo[];
}

/**
 * XNNPACK keeps its packed copy of b keyed by b's buffer id only, not by the shape it
 * was packed with. A buffer seen before as a different [K, N] would silently reuse the
 * wrong packing, so such a b is copied to a fresh buffer first.
 */
const packedViewOfBuffer = new WeakMap<object, string>();

/** Returns operands for the fast path, or undefined when the stock kernel should run. */
export function prepareFastMatMul(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): FastMatMulOperands | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (aRank < 2 || bRank < 2) return undefined;
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  // A separate b per batch cannot be folded; the stock loop handles that case.
  if (batchB !== 1) return undefined;

  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (k !== kB) return undefined; // let the stock kernel report the mismatch
  if ((transposeA || transposeB) && batchA * m * n * k < MIN_MACS_FOR_REWRITE) return undefined;

  const outShape = tf.broadcast_util
    .assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2))
    .concat([m, n]);
  const temporaries: TensorInfo[] = [];

  let aRows: TensorInfo;
  if (transposeA) {
    const a3 = reshape(backend, a, [batchA, k, m]);
    const aT = transpose(backend, a3, [0, 2, 1]);
    release(backend, a3);
    temporaries.push(aT);
    aRows = reshape(backend, aT, [1, batchA * m, k]);
  } else {
    aRows = reshape(backend, a, [1, batchA * m, k]);
  }
  temporaries.push(aRows);

  let bMat: TensorInfo;
  if (transposeB) {
    const b2 = reshape(backend, b, [n, k]);
    const bT = transpose(backend, b2, [1, 0]);
    release(backend, b2);
    temporaries.push(bT);
    bMat = reshape(backend, bT, [1, k, n]);
  } else {
    bMat = reshape(backend, b, [1, k, n]);
  }
  temporaries.push(bMat);

  const view = `${k}x${n}`;
  const seen = packedViewOfBuffer.get(bMat.dataId);
  if (seen !== undefined && seen !== view) {
    bMat = copyBuffer(backend, bMat);
    temporaries.push(bMat);
  }
  packedViewOfBuffer.set(bMat.dataId, view);

  return { a: aRows, b: bMat, outShape, temporaries };
}

function copyBuffer(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const out = backend.makeOutput(x.shape, x.dtype);
  // Views are taken after the allocation: growing wasm memory detaches older views.
  (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(x) as Float32Array);
  return out;
}
