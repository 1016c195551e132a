/** Loads a TensorFlow.js Layers model from disk and exposes it as a Classifier. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InputError } from '../../errors';
import type { Classifier, PredictOptions } from './classifier';
import { readLayersModelArtifacts, type ModelJson } from './tfjs-layers-files';

type OutputKind = 'probabilities' | 'sigmoid' | 'logits';

/** `json`: model.json already parsed by the caller (loadModel reads it once to choose the loader). */
export async function loadTfjsLayersModel(modelJsonPath: string, json?: ModelJson): Promise<Classifier> {
  const artifacts = readLayersModelArtifacts(modelJsonPath, json);
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new InputError(`TensorFlow.js could not build the model: ${(e as Error).message}`, {
      file: modelJsonPath, field: 'modelTopology',
    });
  }
  return classifierFromLayersModel(model, modelJsonPath, 'tfjs-layers', 'modelTopology');
}

/**
 * Wraps a built Layers model (from model.json, or rebuilt from a Keras file) as a
 * Classifier; on an unusable shape the model is disposed and an InputError names `field`.
 */
export function classifierFromLayersModel(model: tfl.LayersModel, file: string, format: string, field: string): Classifier {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    model.dispose();
    throw new InputError(
      `expected a model with one input and one output, found ${model.inputs.length} inputs and ${model.outputs.length} outputs`,
      { file, field },
    );
  }
  const inputShape = model.inputs[0].shape.slice(1);
  const outShape = model.outputs[0].shape;
  const units = outShape[outShape.length - 1];
  if (outShape.length !== 2 || typeof units !== 'number') {
    model.dispose();
    throw new InputError(`expected a classifier with output shape [batch, classes], found [${outShape.join(', ')}]`, { file, field });
  }
  const kind = outputKind(model, units);
  const numClasses = kind === 'sigmoid' ? 2 : units;
  return new LayersClassifier(file, format, model, inputShape, numClasses, kind);
}

/** Reads the last layer's activation to know whether outputs are already probabilities. */
function outputKind(model: tfl.LayersModel, units: number): OutputKind {
  const last = model.layers[model.layers.length - 1];
  const activation = (last.getConfig() as { activation?: string }).activation;
  if (activation === 'softmax') return 'probabilities';
  if (activation === 'sigmoid' && units === 1) return 'sigmoid';
  if (last.getClassName() === 'Softmax') return 'probabilities';
  return 'logits';
}

class LayersClassifier implements Classifier {
  readonly parameterCount: number;

  constructor(
    readonly file: string,
    readonly format: string,
    private readonly model: tfl.LayersModel,
    readonly inputShape: (number | null)[],
    readonly numClasses: number,
    private readonly kind: OutputKind,
  ) {
    this.parameterCount = model.countParams();
  }

  async predictProbabilities(features: Float32Array, featureShape: number[], count: number, options: PredictOptions = {}): Promise<Float32Array> {
    const batchSize = options.batchSize ?? 512;
    const per = featureShape.reduce((a, b) => a * b, 1);
    const shape = this.inputShape.map((d, i) => d ?? featureShape[i]) as number[];
    const out = new Float32Array(count * this.numClasses);
    for (let start = 0; start < count; start += batchSize) {
      if (options.signal?.aborted) throw new DOMException('The audit was cancelled', 'AbortError');
      const n = Math.min(batchSize, count - start);
      const probs = tf.tidy(() => {
        const x = tf.tensor(features.subarray(start * per, (start + n) * per), [n, ...shape], 'float32');
        // Without batchSize tfjs splits every call into 32-row batches, 3-5x slower on wasm.
        const y = this.model.predict(x, { batchSize: n }) as tf.Tensor2D;
        if (this.kind === 'logits') return tf.softmax(y);
        if (this.kind === 'sigmoid') return tf.concat([tf.sub(1, y), y], 1);
        return y;
      });
      out.set(await probs.data() as Float32Array, start * this.numClasses);
      probs.dispose();
      // Yield so cancellation and progress messages get through between batches.
      await new Promise((r) => setImmediate(r));
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}
