/**
 * BatchMatMul for wasm that sends transposed products (see matmul-fast-path.ts) and
 * products where both operands are batched (below) to XNNPACK, and leaves everything
 * else to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { prepareFastMatMul } from './matmul-fast-path';
import { asWasmArgs, callKernel, input, release, reshape, sizeOf, transpose, type TensorInfo } from './wasm-calls';

export function fastBatchMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    // The stock setup binds the wasm function we delegate to.
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (params) => {
      const { inputs, backend, attrs } = asWasmArgs(params);
      const a = input(inputs, 'a');
      const b = input(inputs, 'b');
      const transposeA = attrs.transposeA === true;
      const transposeB = attrs.transposeB === true;
      const fast = prepareFastMatMul(backend, a, b, transposeA, transposeB);
      if (fast === undefined) {
        const plan = perBatchPlan(a, b, transposeA, transposeB);
        return plan === undefined ? stock.kernelFunc(params) : multiplyPerBatch(backend, a, b, plan);
      }
      try {
        const out = callKernel(stock, backend, { a: fast.a, b: fast.b }, { transposeA: false, transposeB: false });
        out.shape = fast.outShape;
        return out;
      } finally {
        release(backend, ...fast.temporaries);
      }
    },
  };
}

// ---------------------------------------------------------------------------------
// Both operands batched (e.g. stacked models: [S, B, in] x [S, in, out]).
//
// The stock kernel sends any product with a batch > 1 to a scalar loop. XNNPACK can
// only multiply one matrix pair per call, and the wasm function takes tensor ids, not
// addresses. So each batch's a, b and output are registered with the C++ side as
// extra tensor ids pointing into the middle of the full buffers (no copies), the
// batch-1 product runs on XNNPACK, and the ids are dropped again. Dropping b's id
// also deletes the XNNPACK operator (and packed weights) cached under it, so nothing
// stale or leaked survives the call.
// ---------------------------------------------------------------------------------

/** Per batch, below this many multiply-adds the stock loop is as fast (see MIN_MACS_FOR_REWRITE). */
const MIN_MACS_PER_BATCH = 32 * 1024;

interface PerBatchPlan {
  batch: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  outShape: number[];
}

/** How to run a product of two batched operands per batch, or undefined for the stock kernel. */
function perBatchPlan(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): PerBatchPlan | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (aRank < 3 || bRank < 3) return undefined;
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  // Broadcasting batch dimensions would need strided views; leave them to the stock loop.
  if (aBatchShape.length !== bBatchShape.length || aBatchShape.some((d, i) => d !== bBatchShape[i])) return undefined;
  const batch = sizeOf(aBatchShape);
  if (batch < 2) return undefined;
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (k !== kB) return undefined; // let the stock kernel report the mismatch
  if (m * k * n < MIN_MACS_PER_BATCH) return undefined;
  return { batch, m, k, n, transposeA, transposeB, outShape: [...aBatchShape, m, n] };
}

type WasmBatchMatMul = (
  aId: number, aShape: Uint8Array, aRank: number,
  bId: number, bShape: Uint8Array, bRank: number,
  transposeA: number, transposeB: number, outId: number,
) => void;

interface WasmModuleCalls {
  cwrap(name: string, returnType: null, argTypes: string[]): WasmBatchMatMul;
  tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
}

/** The wasm BatchMatMul entry point, bound once per backend instance. */
const boundMatMul = new WeakMap<BackendWasm, WasmBatchMatMul>();

function wasmMatMul(backend: BackendWasm): WasmBatchMatMul {
  let fn = boundMatMul.get(backend);
  if (fn === undefined) {
    const module = backend.wasm as unknown as WasmModuleCalls;
    fn = module.cwrap(tf.BatchMatMul, null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    boundMatMul.set(backend, fn);
  }
  return fn;
}

/**
 * A fresh C++ tensor id for `size` floats at `memoryOffset`. The id comes from the
 * backend's own counter (a private field) so it can never collide with a real tensor.
 */
function registerView(backend: BackendWasm, memoryOffset: number, size: number): number {
  const counter = backend as unknown as { dataIdNextNumber: number };
  const id = counter.dataIdNextNumber++;
  (backend.wasm as unknown as WasmModuleCalls).tfjs.registerTensor(id, size, memoryOffset);
  return id;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

function multiplyPerBatch(backend: BackendWasm, a: TensorInfo, b: TensorInfo, plan: PerBatchPlan): TensorInfo {
  const { batch, m, k, n } = plan;
  const temporaries: TensorInfo[] = [];
  try {
    // XNNPACK multiplies untransposed operands only: materialise the transposes (linear cost).
    let aRows = a;
    if (plan.transposeA) {
      const a3 = reshape(backend, a, [batch, k, m]);
      temporaries.push(a3);
      aRows = transpose(backend, a3, [0, 2, 1]);
      temporaries.push(aRows);
    }
    let bRows = b;
    if (plan.transposeB) {
      const b3 = reshape(backend, b, [batch, n, k]);
      temporaries.push(b3);
      bRows = transpose(backend, b3, [0, 2, 1]);
      temporaries.push(bRows);
    }
    const out = backend.makeOutput([batch, m, n], 'float32');
    const matmul = wasmMatMul(backend);
    const module = backend.wasm as unknown as WasmModuleCalls;
    const aBase = backend.getMemoryOffset(aRows.dataId);
    const bBase = backend.getMemoryOffset(bRows.dataId);
    const outBase = backend.getMemoryOffset(out.dataId);
    const aShape = shapeBytes([1, m, k]);
    const bShape = shapeBytes([1, k, n]);
    for (let i = 0; i < batch; i++) {
      const aId = registerView(backend, aBase + i * m * k * 4, m * k);
      const bId = registerView(backend, bBase + i * k * n * 4, k * n);
      const outId = registerView(backend, outBase + i * m * n * 4, m * n);
      try {
        matmul(aId, aShape, 3, bId, bShape, 3, 0, 0, outId);
      } finally {
        module.tfjs.disposeData(aId);
        module.tfjs.disposeData(bId);
        module.tfjs.disposeData(outId);
      }
    }
    out.shape = plan.outShape;
    return out;
  } finally {
    release(backend, ...temporaries);
  }
}
