/**
 * MaxPoolGrad for wasm. The stock 4.22 kernel has two problems for training:
 * - it starts each window's running max at FLT_MIN (the smallest positive float, not
 *   the lowest), so a window whose values are all <= 0 routes its gradient nowhere;
 * - it took about a third of a small CNN's training step.
 * This one follows the cpu backend exactly: each window's gradient goes to the first
 * (row-major) position holding the window's maximum; windows of only NaN get none.
 */
import * as tf from '@tensorflow/tfjs-core';
import { asWasmArgs, input } from './wasm-calls';

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: (params) => {
    const { inputs, backend, attrs: rawAttrs } = asWasmArgs(params);
    const dy = input(inputs, 'dy');
    const x = input(inputs, 'input');
    const attrs = rawAttrs as unknown as MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
    const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
    const { top, left } = info.padInfo;

    const dx = backend.makeOutput(x.shape, 'float32');
    // Views are taken after the allocation: growing wasm memory detaches older views.
    const dxValues = backend.typedArrayFromHeap(dx) as Float32Array;
    const xValues = backend.typedArrayFromHeap(x) as Float32Array;
    const dyValues = backend.typedArrayFromHeap(dy) as Float32Array;
    dxValues.fill(0);

    const best = new Float32Array(channels);
    const bestAt = new Int32Array(channels);
    let dyOffset = 0;
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        const rowStart = oh * strideHeight - top;
        const rowFrom = Math.max(rowStart, 0);
        const rowTo = Math.min(rowStart + filterHeight, inHeight);
        for (let ow = 0; ow < outWidth; ow++, dyOffset += channels) {
          const colStart = ow * strideWidth - left;
          const colFrom = Math.max(colStart, 0);
          const colTo = Math.min(colStart + filterWidth, inWidth);
          best.fill(-Infinity);
          bestAt.fill(-1);
          for (let r = rowFrom; r < rowTo; r++) {
            for (let c = colFrom; c < colTo; c++) {
              const base = ((b * inHeight + r) * inWidth + c) * channels;
              for (let ch = 0; ch < channels; ch++) {
                const v = xValues[base + ch];
                if (v > best[ch]) {
                  best[ch] = v;
                  bestAt[ch] = base + ch;
                }
              }
            }
          }
          for (let ch = 0; ch < channels; ch++) {
            if (bestAt[ch] >= 0) dxValues[bestAt[ch]] += dyValues[dyOffset + ch];
          }
        }
      }
    }
    return dx;
  },
};
