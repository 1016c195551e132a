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
import type { LayerWeights } from './stacked-mlp';

/** Shadow s's initial weights per trainable layer (Conv2D and Dense, in order), tfjs-layers layout. */
export async function cnnInitialWeights(architecture: Architecture, spec: CnnSpec, backend: BackendPreference, seed: number, shadow: number): Promise<LayerWeights[]> {
  await initBackend(backend);
  const model = await buildShadowModel(architecture, seed, shadow);
  try {
    const values = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    let i = 0;
    const weights: LayerWeights[] = [];
    for (const layer of spec.layers) {
      if (layer.kind !== 'conv' && layer.kind !== 'dense') continue;
      const kernel = values[i++];
      const bias = layer.useBias ? values[i++] : undefined;
      if (kernel === undefined || (layer.useBias && bias === undefined)) break;
      weights.push({ kernel, bias });
    }
    if (i !== values.length || weights.length !== spec.layers.filter((l) => l.kind === 'conv' || l.kind === 'dense').length) {
      throw new Error(`the seeded model has ${values.length} weight tensors, which do not match the convolutional layers read from its topology`);
    }
    return weights;
  } finally {
    model.dispose();
  }
}
