/**
 * Conv2DBackpropFilter for wasm: tfjs-wasm 4.22 has none, so CNN training threw.
 * Two exact formulations, both ending on XNNPACK; which is faster depends on the
 * layer (measured: first layer 28x28x1 -> 16, batch 128: 14 ms by im2col vs 46 ms by
 * convolution; with 8-16 input channels the convolution is as fast or faster).
 */
import * as tf from '@tensorflow/tfjs-core';
import { forwardConvInfo, type ConvGradientAttrs } from './conv2d-geometry';
import { filterGradientByConv } from './filter-gradient-by-conv';
import { filterGradientByIm2col } from './filter-gradient-by-im2col';
import { asWasmArgs, input } from './wasm-calls';

interface BackpropFilterAttrs extends ConvGradientAttrs {
  filterShape: [number, number, number, number];
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: (params) => {
    const { inputs, backend, attrs: rawAttrs } = asWasmArgs(params);
    const x = input(inputs, 'x');
    const dy = input(inputs, 'dy');
    const attrs = rawAttrs as unknown as BackpropFilterAttrs;
    const info = forwardConvInfo(
      tf.Conv2DBackpropFilter,
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs,
    );
    const { filterHeight, filterWidth, inChannels, outChannels } = info;

    const rowsRead = filterHeight + (info.outHeight - 1) * info.strideHeight - info.padInfo.top;
    const colsRead = filterWidth + (info.outWidth - 1) * info.strideWidth - info.padInfo.left;
    if (rowsRead <= 0 || colsRead <= 0) {
      // Every filter tap falls in the padding: the gradient is exactly zero.
      const zeros = backend.makeOutput(attrs.filterShape, 'float32');
      backend.typedArrayFromHeap(zeros).fill(0);
      return zeros;
    }
    // The patch matrix has KH*KW*CI rows; while that is no more than CO it is cheaper
    // to write than the convolution's extra passes over dy.
    return filterHeight * filterWidth * inChannels <= outChannels
      ? filterGradientByIm2col(backend, x, dy, info)
      : filterGradientByConv(backend, x, dy, info);
  },
};
