/**
 * Conv2DBackpropInput for wasm. The stock 4.22 kernel is a scalar loop about 8-10x
 * slower than the forward convolution; this one is a convolution on XNNPACK:
 * dx = conv(dy spread out by the stride and padded, filter rotated 180 degrees with
 * its in/out channels swapped), stride 1, 'valid'.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { explicitPad, forwardConvInfo, type ConvGradientAttrs } from './conv2d-geometry';
import { asWasmArgs, callWasm, input, release, transpose, type TensorInfo } from './wasm-calls';

interface BackpropInputAttrs extends ConvGradientAttrs {
  inputShape: [number, number, number, number];
}

export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: (params) => {
    const { inputs, backend, attrs: rawAttrs } = asWasmArgs(params);
    const dy = input(inputs, 'dy');
    const filter = input(inputs, 'filter');
    const attrs = rawAttrs as unknown as BackpropInputAttrs;
    const info = forwardConvInfo(
      tf.Conv2DBackpropInput,
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs,
    );
    const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
    // dx[i] = sum_k dyUp[i + top - k] * w[k]  =  'valid' correlation of dyUp, padded
    // by (KH-1-top) before, with the flipped filter.
    const padTop = filterHeight - 1 - info.padInfo.top;
    const padLeft = filterWidth - 1 - info.padInfo.left;
    const padBottom = inHeight - outHeight + info.padInfo.top;
    const padRight = inWidth - outWidth + info.padInfo.left;

    const temporaries: TensorInfo[] = [];
    try {
      const flipped = callWasm('Reverse', backend, { x: filter }, { dims: [0, 1] });
      temporaries.push(flipped);
      const rotated = transpose(backend, flipped, [0, 1, 3, 2]); // [KH, KW, CO, CI]
      temporaries.push(rotated);

      const unitStride = strideHeight === 1 && strideWidth === 1;
      const padsFit = padTop >= 0 && padLeft >= 0 && padBottom >= 0 && padRight >= 0;
      let source: TensorInfo = dy;
      let pad = explicitPad(padTop, padBottom, padLeft, padRight);
      if (!unitStride || !padsFit) {
        source = spreadAndPad(backend, dy, strideHeight, strideWidth, padTop, padLeft,
          inHeight + filterHeight - 1, inWidth + filterWidth - 1);
        temporaries.push(source);
        pad = explicitPad(0, 0, 0, 0);
      }
      return callWasm('Conv2D', backend, { x: source, filter: rotated }, {
        strides: [1, 1],
        dilations: [1, 1],
        pad,
        dataFormat: 'NHWC',
      });
    } finally {
      release(backend, ...temporaries);
    }
  },
};

/**
 * Writes dy[b, oh, ow, :] to out[b, oh*sh + top, ow*sw + left, :] in a zeroed
 * [B, height, width, C] buffer; rows/columns falling outside are never read by the
 * convolution and are dropped.
 */
function spreadAndPad(
  backend: BackendWasm,
  dy: TensorInfo,
  sh: number,
  sw: number,
  top: number,
  left: number,
  height: number,
  width: number,
): TensorInfo {
  const [batch, dyHeight, dyWidth, channels] = dy.shape;
  const out = backend.makeOutput([batch, height, width, channels], 'float32');
  // Views are taken after the allocation: growing wasm memory detaches older views.
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const src = backend.typedArrayFromHeap(dy) as Float32Array;
  dst.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < dyHeight; oh++) {
      const r = oh * sh + top;
      if (r < 0 || r >= height) continue;
      let srcOffset = ((b * dyHeight + oh) * dyWidth) * channels;
      const rowOffset = (b * height + r) * width;
      for (let ow = 0; ow < dyWidth; ow++, srcOffset += channels) {
        const c = ow * sw + left;
        if (c < 0 || c >= width) continue;
        const dstOffset = (rowOffset + c) * channels;
        for (let ch = 0; ch < channels; ch++) dst[dstOffset + ch] = src[srcOffset + ch];
      }
    }
  }
  return out;
}
