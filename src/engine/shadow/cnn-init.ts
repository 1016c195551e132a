/**
 * Initial weights of a convolutional shadow: read from the seeded tfjs-layers model the
 * TF.js trainer would build (layers-model.ts), so shadow s starts from the very weights
 * the fallback path would give it, for every initializer TF.js has. Loads TensorFlow.js
 * (train-group.ts requires this module only for CNN jobs); tfjs initializers draw in
 * JavaScript, so the backend does not change the values.
 */
import type { BackendPreference } from '../backend';
import { initBackend } from '../backend';
import type { Architecture } from './architecture';
import type { CnnSpec } from './cnn-architecture';
import { buildShadowModel } from './layers-model';
import type { CnnLayerWeights } from './cnn-trainer';

/** Shadow s's initial weights per weighted layer (Conv2D, Dense, BatchNormalization, in order), tfjs-layers layout. */
export async function cnnInitialWeights(architecture: Architecture, spec: CnnSpec, backend: BackendPreference, seed: number, shadow: number): Promise<CnnLayerWeights[]> {
  await initBackend(backend);
  const model = await buildShadowModel(architecture, seed, shadow);
  try {
    // Per layer, its own weights in build order: kernel, bias; gamma, beta, moving mean, moving variance.
    const perLayer = model.layers.map((layer) => layer.getWeights().map((w) => Float32Array.from(w.dataSync()))).filter((w) => w.length > 0);
    const weighted = spec.layers.filter((l) => l.kind === 'conv' || l.kind === 'dense' || l.kind === 'batchNorm');
    if (perLayer.length !== weighted.length) {
      throw new Error(`the seeded model has ${perLayer.length} layers with weights, the convolutional layers read from its topology ${weighted.length}`);
    }
    return weighted.map((layer, i) => {
      const values = [...perLayer[i]];
      if (layer.kind !== 'batchNorm') return { kernel: values[0], bias: layer.useBias ? values[1] : undefined };
      return {
        kernel: layer.scale ? (values.shift() as Float32Array) : new Float32Array(0),
        bias: layer.center ? values.shift() : undefined,
        movingMean: values[0],
        movingVariance: values[1],
      };
    });
  } finally {
    model.dispose();
  }
}
