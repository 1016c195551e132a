/**
 * Filter gradient as one XNNPACK matrix product: dW[KH*KW*CI, CO] = patches^T · dy,
 * where patches^T[(kh,kw,ci), (b,oh,ow)] = x[b, oh*s + kh - top, ow*s + kw - left, ci]
 * (0 in the padding) is written directly in that transposed layout, and dy is used
 * in place as [B*OH*OW, CO]. The patch matrix has KH*KW*CI rows, so this suits layers
 * with few input channels (the first layer of an image model), where it touches dy
 * once instead of the several passes of the convolution formulation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasm, release, reshape, type TensorInfo } from './wasm-calls';

export function filterGradientByIm2col(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const positions = batchSize * outHeight * outWidth;
  const rows = filterHeight * filterWidth * inChannels;

  const patchesT = backend.makeOutput([1, rows, positions], 'float32');
  // Views are taken after the allocation: growing wasm memory detaches older views.
  const dst = backend.typedArrayFromHeap(patchesT) as Float32Array;
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  let o = 0;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let ci = 0; ci < inChannels; ci++) {
        for (let b = 0; b < batchSize; b++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * strideHeight + kh - top;
            if (ih < 0 || ih >= inHeight) {
              dst.fill(0, o, o + outWidth);
              o += outWidth;
              continue;
            }
            const rowBase = (b * inHeight + ih) * inWidth;
            for (let ow = 0; ow < outWidth; ow++, o++) {
              const iw = ow * strideWidth + kw - left;
              dst[o] = iw >= 0 && iw < inWidth ? src[(rowBase + iw) * inChannels + ci] : 0;
            }
          }
        }
      }
    }
  }

  const dyMatrix = reshape(backend, dy, [1, positions, outChannels]);
  try {
    const product = callWasm('BatchMatMul', backend, { a: patchesT, b: dyMatrix }, { transposeA: false, transposeB: false });
    product.shape = [filterHeight, filterWidth, inChannels, outChannels];
    return product;
  } finally {
    release(backend, patchesT, dyMatrix);
  }
}
