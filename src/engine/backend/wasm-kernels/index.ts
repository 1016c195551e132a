/**
 * Our wasm kernels for training, swapped in for (or added beside) tfjs-wasm 4.22's:
 * - BatchMatMul, _FusedMatMul: transposed products on XNNPACK instead of a scalar loop;
 * - Conv2DBackpropFilter: missing from tfjs-wasm, so CNN training threw;
 * - Conv2DBackpropInput: XNNPACK convolution instead of a scalar loop;
 * - MaxPoolGrad: the stock one drops gradients of windows with no positive value.
 * Everything else a small CNN needs to train (conv2d, relu, max pooling, flatten,
 * dense, softmax cross-entropy, Adam) has a working tfjs-wasm kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fastBatchMatMulConfig } from './batch-mat-mul';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input';
import { fastFusedMatMulConfig } from './fused-mat-mul';
import { maxPoolGradConfig } from './max-pool-grad';

/** Kernel name -> the stock config we replaced (undefined: tfjs-wasm had none). */
let replaced: Map<string, tf.KernelConfig | undefined> | undefined;

/** Registers our kernels on the wasm backend. Safe to call repeatedly. */
export function registerWasmTrainingKernels(): void {
  if (replaced !== undefined) return;
  replaced = new Map();
  const stockMatMul = requireStock(tf.BatchMatMul);
  const stockFusedMatMul = requireStock(tf._FusedMatMul);
  const ours = [
    fastBatchMatMulConfig(stockMatMul),
    fastFusedMatMulConfig(stockFusedMatMul),
    conv2dBackpropFilterConfig,
    conv2dBackpropInputConfig,
    maxPoolGradConfig,
  ];
  for (const config of ours) {
    const stock = tf.getKernel(config.kernelName, 'wasm');
    // Unregister first: registering over an existing kernel only logs a warning.
    if (stock !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
    replaced.set(config.kernelName, stock);
  }
}

/** Puts tfjs-wasm's own kernels back (for benchmarks and comparisons). */
export function restoreStockWasmKernels(): void {
  if (replaced === undefined) return;
  for (const [name, stock] of replaced) {
    tf.unregisterKernel(name, 'wasm');
    if (stock !== undefined) tf.registerKernel(stock);
  }
  replaced = undefined;
}

function requireStock(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) {
    throw new Error(`tfjs-backend-wasm registers no '${name}' kernel; is @tensorflow/tfjs-backend-wasm loaded?`);
  }
  return config;
}
