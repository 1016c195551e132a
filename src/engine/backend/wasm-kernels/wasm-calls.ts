/**
 * Small helpers for kernels that run on the wasm backend by composing the backend's
 * own kernels. Intermediate results made here are not tracked by the tfjs engine, so
 * every helper result must be released with `release` once it is no longer needed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type TensorInfo = tf.TensorInfo;

/** The arguments tfjs passes to a kernel function, with the wasm backend typed. */
export interface WasmKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}

export function asWasmArgs(params: Parameters<tf.KernelFunc>[0]): WasmKernelArgs {
  return { inputs: params.inputs, backend: params.backend as BackendWasm, attrs: params.attrs ?? {} };
}

/** Runs a kernel directly (bypassing the engine) and returns its single output. */
export function callKernel(
  kernel: tf.KernelConfig,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): TensorInfo {
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  return Array.isArray(out) ? out[0] : out;
}

/** Runs the wasm backend's currently registered kernel `name`. */
export function callWasm(
  name: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`wasm backend has no '${name}' kernel`);
  return callKernel(kernel, backend, inputs, attrs);
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return callWasm('Transpose', backend, { x }, { perm });
}

/** Same data, new shape: shares the buffer (the backend counts the extra reference). */
export function reshape(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  return callWasm('Reshape', backend, { x }, { shape });
}

/** Drops one reference to each intermediate's buffer. */
export function release(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A kernel input tfjs always passes (the map's type allows it to be missing). */
export function input(inputs: tf.NamedTensorInfoMap, name: string): TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`kernel input '${name}' is missing`);
  return info;
}
