/**
 * The memory-bound parts of the convolutional trainer, in JavaScript over the kernels'
 * memory (offsets in floats): im2col and its adjoint col2im (the products themselves run
 * on the SIMD GEMM), max and average pooling with their gradients, activations.
 * Tensors are batch-major NHWC, as in TF.js, so [B, H, W, C] is a [B*H*W, C] matrix.
 *
 * im2col row (b, oh, ow) holds the window's values in (kh, kw, c) order, which is the
 * row order of a TF.js Conv2D kernel [kh, kw, cin, cout] read as a [kh*kw*cin, cout]
 * matrix: the forward product is cols x kernel with no reordering.
 */
import type { Activation, } from './architecture';
import type { Window } from './cnn-architecture';
export { activate, multiplyBySlope, transposeInto } from './float-ops';

/** dst[rows*OH*OW, kh*kw*C] = the windows of `rows` images at src (zeros where padded). */
export function im2col(f: Float32Array, src: number, rows: number, l: Window, dst: number): void {
  const { h: H, w: W, c: C } = l.input;
  const { h: OH, w: OW } = l.output;
  const run = l.kw * C;
  let d = dst;
  for (let b = 0; b < rows; b++) {
    const image = src + b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * l.sh - l.padTop;
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * l.sw - l.padLeft;
        const inside = iw0 >= 0 && iw0 + l.kw <= W;
        for (let kh = 0; kh < l.kh; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= H) {
            for (let e = d + run; d < e; d++) f[d] = 0;
            continue;
          }
          const row = image + ih * W * C;
          if (inside) {
            // The window's kw pixels are adjacent in NHWC: one contiguous run.
            for (let s = row + iw0 * C, e = d + run; d < e; d++, s++) f[d] = f[s];
            continue;
          }
          for (let kw = 0; kw < l.kw; kw++) {
            const iw = iw0 + kw;
            if (iw < 0 || iw >= W) for (let e = d + C; d < e; d++) f[d] = 0;
            else for (let s = row + iw * C, e = d + C; d < e; d++, s++) f[d] = f[s];
          }
        }
      }
    }
  }
}

/** dst[rows images] = sum of the window rows of cols back onto their pixels (col2im: the adjoint of im2col). */
export function col2im(f: Float32Array, cols: number, rows: number, l: Window, dst: number): void {
  const { h: H, w: W, c: C } = l.input;
  const { h: OH, w: OW } = l.output;
  const run = l.kw * C;
  f.fill(0, dst, dst + rows * H * W * C);
  let d = cols;
  for (let b = 0; b < rows; b++) {
    const image = dst + b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * l.sh - l.padTop;
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * l.sw - l.padLeft;
        const inside = iw0 >= 0 && iw0 + l.kw <= W;
        for (let kh = 0; kh < l.kh; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= H) {
            d += run;
            continue;
          }
          const row = image + ih * W * C;
          if (inside) {
            for (let s = row + iw0 * C, e = d + run; d < e; d++, s++) f[s] += f[d];
            continue;
          }
          for (let kw = 0; kw < l.kw; kw++) {
            const iw = iw0 + kw;
            if (iw < 0 || iw >= W) d += C;
            else for (let s = row + iw * C, e = d + C; d < e; d++, s++) f[s] += f[d];
          }
        }
      }
    }
  }
}

/**
 * Max pooling of `rows` images; argmax[j] = the input offset (relative to src) each
 * output came from: the first maximum in window order, as TF.js picks it. Padded
 * positions never win.
 */
export function maxPool(f: Float32Array, src: number, rows: number, l: Window, dst: number, argmax: Int32Array): void {
  const { h: H, w: W, c: C } = l.input;
  const { h: OH, w: OW } = l.output;
  // Offsets of a whole window's positions from its first, in (kh, kw) order.
  const offsets = new Int32Array(l.kh * l.kw);
  for (let i = 0; i < l.kh; i++) for (let j = 0; j < l.kw; j++) offsets[i * l.kw + j] = (i * W + j) * C;
  const n = offsets.length;
  let o = 0;
  for (let b = 0; b < rows; b++) {
    const image = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * l.sh - l.padTop;
      const h0 = Math.max(0, ih0);
      const h1 = Math.min(H, ih0 + l.kh);
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * l.sw - l.padLeft;
        const w0 = Math.max(0, iw0);
        const w1 = Math.min(W, iw0 + l.kw);
        const first = image + (h0 * W + w0) * C;
        if (h1 - h0 === l.kh && w1 - w0 === l.kw) {
          // The whole window is inside: the common case, with the running maximum in registers.
          for (let c = 0; c < C; c++) {
            const base = src + first + c;
            let best = f[base];
            let at = 0;
            for (let q = 1; q < n; q++) {
              const v = f[base + offsets[q]];
              if (v > best) {
                best = v;
                at = q;
              }
            }
            f[dst + o + c] = best;
            argmax[o + c] = first + c + offsets[at];
          }
          o += C;
          continue;
        }
        for (let c = 0; c < C; c++) {
          f[dst + o + c] = f[src + first + c];
          argmax[o + c] = first + c;
        }
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = ih === h0 ? w0 + 1 : w0; iw < w1; iw++) {
            const p = image + (ih * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = f[src + p + c];
              if (v > f[dst + o + c]) {
                f[dst + o + c] = v;
                argmax[o + c] = p + c;
              }
            }
          }
        }
        o += C;
      }
    }
  }
}

/** dIn = 0, then each output's gradient added to the input it came from. */
export function maxPoolBackward(f: Float32Array, grad: number, count: number, argmax: Int32Array, inputGrad: number, inputCount: number): void {
  f.fill(0, inputGrad, inputGrad + inputCount);
  for (let j = 0; j < count; j++) f[inputGrad + argmax[j]] += f[grad + j];
}

/** Average pooling of `rows` images over each window's positions inside the input (TensorFlow's 'same' rule). */
export function avgPool(f: Float32Array, src: number, rows: number, l: Window, dst: number): void {
  const { h: H, w: W, c: C } = l.input;
  const { h: OH, w: OW } = l.output;
  let o = dst;
  for (let b = 0; b < rows; b++) {
    const image = src + b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * l.sh - l.padTop;
      const h0 = Math.max(0, ih0);
      const h1 = Math.min(H, ih0 + l.kh);
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * l.sw - l.padLeft;
        const w0 = Math.max(0, iw0);
        const w1 = Math.min(W, iw0 + l.kw);
        const scale = 1 / ((h1 - h0) * (w1 - w0));
        f.fill(0, o, o + C);
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            for (let c = 0, p = image + (ih * W + iw) * C; c < C; c++, p++) f[o + c] += f[p];
          }
        }
        for (let c = 0; c < C; c++) f[o + c] *= scale;
        o += C;
      }
    }
  }
}

/** The gradient of avgPool: each output's gradient spread evenly over the positions it averaged. */
export function avgPoolBackward(f: Float32Array, grad: number, rows: number, l: Window, inputGrad: number): void {
  const { h: H, w: W, c: C } = l.input;
  const { h: OH, w: OW } = l.output;
  f.fill(0, inputGrad, inputGrad + rows * H * W * C);
  let g = grad;
  for (let b = 0; b < rows; b++) {
    const image = inputGrad + b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * l.sh - l.padTop;
      const h0 = Math.max(0, ih0);
      const h1 = Math.min(H, ih0 + l.kh);
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * l.sw - l.padLeft;
        const w0 = Math.max(0, iw0);
        const w1 = Math.min(W, iw0 + l.kw);
        const scale = 1 / ((h1 - h0) * (w1 - w0));
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            for (let c = 0, p = image + (ih * W + iw) * C; c < C; c++, p++) f[p] += f[g + c] * scale;
          }
        }
        g += C;
      }
    }
  }
}



