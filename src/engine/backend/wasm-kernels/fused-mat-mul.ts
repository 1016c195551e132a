/**
 * _FusedMatMul (product + bias + activation) for wasm that sends transposed products
 * to XNNPACK (see matmul-fast-path.ts) and leaves everything else to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { prepareFastMatMul } from './matmul-fast-path';
import { asWasmArgs, callKernel, input, release } from './wasm-calls';

export function fastFusedMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf._FusedMatMul,
    backendName: 'wasm',
    // The stock setup binds the wasm function we delegate to.
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (params) => {
      const { inputs, backend, attrs } = asWasmArgs(params);
      const a = input(inputs, 'a');
      const b = input(inputs, 'b');
      const { bias, preluActivationWeights } = inputs;
      const fast = prepareFastMatMul(backend, a, b, attrs.transposeA === true, attrs.transposeB === true);
      if (fast === undefined) return stock.kernelFunc(params);
      try {
        const fusedInputs: tf.NamedTensorInfoMap = { a: fast.a, b: fast.b };
        if (bias != null) fusedInputs.bias = bias;
        if (preluActivationWeights != null) fusedInputs.preluActivationWeights = preluActivationWeights;
        const out = callKernel(stock, backend, fusedInputs, { ...attrs, transposeA: false, transposeB: false });
        out.shape = fast.outShape;
        return out;
      } finally {
        release(backend, ...fast.temporaries);
      }
    },
  };
}
