/** Forward-convolution geometry shared by the two convolution gradient kernels. */
import * as tf from '@tensorflow/tfjs-core';

export type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

export interface ConvGradientAttrs {
  strides: [number, number] | number;
  pad: ConvPad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Geometry of the forward conv (dilation 1: tfjs has no conv gradients for dilation > 1). */
export function forwardConvInfo(
  kernelName: string,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvGradientAttrs,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') {
    throw new Error(`${kernelName} on wasm supports only NHWC data (got NCHW)`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** Explicit NHWC padding in the form the Conv2D kernel accepts. */
export function explicitPad(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}
