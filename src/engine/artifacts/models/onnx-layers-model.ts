/**
 * An ONNX file as a TF.js Layers model: the converted topology (onnx-to-layers.ts) built
 * with tfjs-layers, with the ONNX model's own weights (white-box attacks) or the fresh
 * initialisers of the topology (shadows train those through Architecture.topology).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InputError } from '../../errors';
import { initBackend } from '../../backend';
import { isUnsupportedOnnxOpError, readOnnxConversion, UnsupportedOnnxOpError, type OnnxConversion } from './onnx-to-layers';

export { readOnnxConversion };

/**
 * The first converted layer that cannot be trained or differentiated on the TF.js backend
 * training would use (initialised here if it was not), as an error naming its ONNX node.
 */
export async function untrainableLayer(conversion: OnnxConversion, file: string): Promise<UnsupportedOnnxOpError | undefined> {
  for (const limit of conversion.trainingLimits) {
    if (limit.kernels) {
      const backend = (await initBackend('auto')).name;
      if (limit.kernels.every((k) => tf.getKernel(k, backend) !== undefined)) continue;
    }
    return new UnsupportedOnnxOpError(limit.opType, limit.node, limit.detail, file);
  }
  return undefined;
}

/** A tfjs-layers model of the conversion, with the ONNX model's weights when `weights` is 'own'. */
export async function buildConvertedModel(conversion: OnnxConversion, weights: 'own' | 'fresh', file: string): Promise<tfl.LayersModel> {
  let model: tfl.LayersModel;
  try {
    model = await tfl.models.modelFromJSON({ modelTopology: conversion.topology } as unknown as tfl.ModelAndWeightsConfig);
  } catch (e) {
    throw new InputError(`the ONNX graph was converted, but TensorFlow.js could not build it: ${(e as Error).message}`, { file, field: 'graph' });
  }
  if (weights === 'fresh') return model;
  try {
    for (const [name, values] of conversion.weights) {
      const tensors = values.map((w) => tf.tensor(w.values, w.shape, 'float32'));
      try {
        model.getLayer(name).setWeights(tensors);
      } finally {
        tf.dispose(tensors);
      }
    }
  } catch (e) {
    model.dispose();
    throw new InputError(`the ONNX model's weights do not fit the converted layers: ${(e as Error).message}`, { file, field: 'graph.initializer' });
  }
  return model;
}

/**
 * The ONNX file as a tfjs-layers model with its own weights (white-box attacks). An
 * operator the converter lacks fails the attack that asked (a plain Error, which the audit
 * records while the other attacks run), not the audit: the file itself is fine.
 */
export async function loadOnnxLayersModel(file: string): Promise<tfl.LayersModel> {
  let conversion: OnnxConversion;
  try {
    conversion = readOnnxConversion(file);
  } catch (e) {
    if (isUnsupportedOnnxOpError(e)) throw new Error(`the model's layers and weights are read by converting its ONNX graph to TF.js layers, which failed: ${e.message}`);
    throw e;
  }
  const limit = await untrainableLayer(conversion, file);
  if (limit) throw new Error(`the model's gradients are taken through its ONNX graph converted to TF.js layers, which cannot differentiate it: ${limit.message}`);
  return buildConvertedModel(conversion, 'own', file);
}
