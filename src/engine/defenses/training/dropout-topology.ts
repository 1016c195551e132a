/**
 * The dropout defense's architecture: the target's Sequential topology with a Dropout
 * layer inserted before every Dense / convolution layer except the first (dropping raw
 * input features is a different regulariser). Dropout has no weights, so the defended
 * model starts from the same seeded initial weights as plain retraining.
 */
import { InputError } from '../../errors';
import { isObject } from '../../shadow/architecture';

const WEIGHTED_LAYERS = new Set(['Dense', 'Conv1D', 'Conv2D', 'Conv3D', 'SeparableConv2D', 'DepthwiseConv2D']);

export function withDropout(topology: Record<string, unknown>, rate: number, file: string): Record<string, unknown> {
  const config = topology.config;
  const layers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : undefined;
  if (topology.class_name !== 'Sequential' || layers === undefined) {
    throw new InputError(`the dropout defense inserts layers into Sequential models only; this is a ${String(topology.class_name)} model`,
      { file, field: 'modelTopology' });
  }
  const out: unknown[] = [];
  let seenWeighted = false;
  layers.forEach((layer: unknown, i: number) => {
    const name = isObject(layer) ? layer.class_name : undefined;
    if (typeof name === 'string' && WEIGHTED_LAYERS.has(name)) {
      if (seenWeighted) {
        out.push({ class_name: 'Dropout', config: { rate, name: `mpl_defense_dropout_${i}`, trainable: true, dtype: 'float32' } });
      }
      seenWeighted = true;
    }
    out.push(layer);
  });
  if (out.length === layers.length) {
    throw new InputError('the dropout defense needs at least two Dense or convolution layers to put dropout between', { file, field: 'modelTopology' });
  }
  const newConfig = Array.isArray(config) ? out : { ...(config as Record<string, unknown>), layers: out };
  return { ...topology, config: newConfig };
}
