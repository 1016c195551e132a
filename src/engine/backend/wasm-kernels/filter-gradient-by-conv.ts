/**
 * Filter gradient as one XNNPACK convolution:
 *   dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*s + kh - top, ow*s + kw - left, ci] * dy[b,oh,ow,co].
 * Read x as a batch of CI single images [CI, H, W, channels=B] and dy as a filter
 * [OH, OW, in=B, out=CO] dilated by the forward stride; their stride-1 convolution is
 * [CI, KH, KW, CO], which one transpose turns into dW. Costs a few passes over dy
 * (transpose, XNNPACK's weight packing), so it suits layers with many input channels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { explicitPad } from './conv2d-geometry';
import { callWasm, release, transpose, type TensorInfo } from './wasm-calls';

export function filterGradientByConv(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  // One past the last input row/column any filter tap reads; x beyond it is unused.
  const rowsRead = filterHeight + (outHeight - 1) * strideHeight - top;
  const colsRead = filterWidth + (outWidth - 1) * strideWidth - left;

  const temporaries: TensorInfo[] = [];
  try {
    let images = transpose(backend, x, [3, 1, 2, 0]); // [CI, H, W, B]
    temporaries.push(images);
    if (rowsRead < inHeight || colsRead < inWidth) {
      images = callWasm('Slice', backend, { x: images }, {
        begin: [0, 0, 0, 0],
        size: [inChannels, Math.min(rowsRead, inHeight), Math.min(colsRead, inWidth), -1],
      });
      temporaries.push(images);
    }
    const dyFilter = transpose(backend, dy, [1, 2, 0, 3]); // [OH, OW, B, CO]
    temporaries.push(dyFilter);

    const perChannel = callWasm('Conv2D', backend, { x: images, filter: dyFilter }, {
      strides: [1, 1],
      dilations: [strideHeight, strideWidth],
      pad: explicitPad(top, Math.max(0, rowsRead - inHeight), left, Math.max(0, colsRead - inWidth)),
      dataFormat: 'NHWC',
    }); // [CI, KH, KW, CO]
    temporaries.push(perChannel);
    const expected = [inChannels, filterHeight, filterWidth, outChannels];
    if (perChannel.shape.some((d, i) => d !== expected[i])) {
      throw new Error(`filter gradient: convolution gave [${perChannel.shape}], expected [${expected}]`);
    }
    return transpose(backend, perChannel, [1, 2, 0, 3]);
  } finally {
    release(backend, ...temporaries);
  }
}
