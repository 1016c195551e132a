/**
 * TensorFlow.js graph models (model.json with format "graph-model"): inference only, through
 * tfjs-converter, audited as a black box from their outputs like ONNX. Files are read by
 * our own reader (no fetch, shards must sit beside model.json).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfconv from '@tensorflow/tfjs-converter';
import { InputError } from '../../errors';
import { detectOutputKind, toProbabilities, type RawOutputKind } from './black-box-outputs';
import type { Classifier, PredictOptions } from './classifier';
import { readModelJsonArtifacts, type ModelJson } from './tfjs-layers-files';

export async function loadTfjsGraphModel(modelJsonPath: string, json?: ModelJson): Promise<Classifier> {
  const artifacts = readModelJsonArtifacts(modelJsonPath, 'graph-model', json);
  const parameterCount = (artifacts.weightSpecs ?? []).reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
  let model: tfconv.GraphModel;
  try {
    model = await tfconv.loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new InputError(`TensorFlow.js could not load the graph model: ${(e as Error).message}`, { file: modelJsonPath, field: 'modelTopology' });
  }
  try {
    return await describe(model, modelJsonPath, parameterCount);
  } catch (e) {
    model.dispose();
    throw e;
  }
}

async function describe(model: tfconv.GraphModel, file: string, parameterCount: number): Promise<Classifier> {
  if (model.inputs.length !== 1) {
    throw new InputError(`expected a graph with one input, found ${model.inputs.length} (${model.inputs.map((i) => i.name).join(', ')})`, { file, field: 'signature.inputs' });
  }
  const input = model.inputs[0];
  const shape = input.shape ?? [];
  if (shape.length < 2) throw new InputError(`input "${input.name}" has shape [${shape.join(', ')}]; expected [batch, features...]`, { file, field: 'signature.inputs' });
  const free = shape.slice(1).findIndex((d) => !(d > 0));
  if (free >= 0) {
    throw new InputError(
      `input "${input.name}" has a dynamic shape [${shape.join(', ')}]: dimension ${free + 1} is unknown; only the batch dimension may be`,
      { file, field: 'signature.inputs' },
    );
  }
  if (input.dtype !== undefined && input.dtype !== 'float32') {
    throw new InputError(`input "${input.name}" must be float32, found ${input.dtype}`, { file, field: 'signature.inputs' });
  }
  const featureShape = shape.slice(1);
  // The signature may not state the class count: one zero record tells it.
  const probe = await run(model, new Float32Array(featureShape.reduce((a, b) => a * b, 1)), [1, ...featureShape]);
  if (probe.shape.length !== 2 || !(probe.shape[1] >= 1)) {
    throw new InputError(`the graph's output has shape [${probe.shape.join(', ')}]; expected [batch, classes]`, { file, field: 'signature.outputs' });
  }
  return new GraphClassifier(file, model, featureShape, probe.shape[1], parameterCount);
}

async function run(model: tfconv.GraphModel, values: Float32Array, shape: number[]): Promise<{ values: Float32Array; shape: number[] }> {
  const x = tf.tensor(values, shape, 'float32');
  try {
    const y = await execute(model, x);
    const outputs = Array.isArray(y) ? y : [y];
    try {
      return { values: (await outputs[0].data()) as Float32Array, shape: outputs[0].shape };
    } finally {
      tf.dispose(outputs);
    }
  } finally {
    x.dispose();
  }
}

const needsAsync = new WeakSet<tfconv.GraphModel>();

/** execute() when the graph allows it; graphs with control flow need executeAsync(). */
async function execute(model: tfconv.GraphModel, x: tf.Tensor): Promise<tf.Tensor | tf.Tensor[]> {
  if (!needsAsync.has(model)) {
    try {
      return model.execute(x);
    } catch (e) {
      if (!/executeAsync/.test((e as Error).message)) throw e;
      needsAsync.add(model);
    }
  }
  return (await model.executeAsync(x)) as tf.Tensor | tf.Tensor[];
}

class GraphClassifier implements Classifier {
  readonly format = 'tfjs-graph';
  readonly numClasses: number;
  private kind: RawOutputKind | undefined;

  constructor(
    readonly file: string,
    private readonly model: tfconv.GraphModel,
    readonly inputShape: number[],
    private readonly units: number,
    readonly parameterCount: number,
  ) {
    this.numClasses = units === 1 ? 2 : units;
  }

  async predictProbabilities(features: Float32Array, featureShape: number[], count: number, options: PredictOptions = {}): Promise<Float32Array> {
    const per = this.inputShape.reduce((a, b) => a * b, 1);
    if (featureShape.reduce((a, b) => a * b, 1) !== per) {
      throw new InputError(`records have shape [${featureShape.join(', ')}] but the graph's input takes [${this.inputShape.join(', ')}]`, { file: this.file, field: 'signature.inputs' });
    }
    const batchSize = options.batchSize ?? 512;
    const out = new Float32Array(count * this.numClasses);
    for (let start = 0; start < count; start += batchSize) {
      if (options.signal?.aborted) throw new DOMException('The audit was cancelled', 'AbortError');
      const n = Math.min(batchSize, count - start);
      const y = await run(this.model, features.subarray(start * per, (start + n) * per), [n, ...this.inputShape]);
      // Decided once, on the first batch, so every record is converted the same way.
      this.kind ??= detectOutputKind(y.values, n, this.units);
      out.set(toProbabilities(y.values, n, this.units, this.kind), start * this.numClasses);
      await new Promise((r) => setImmediate(r));
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}
