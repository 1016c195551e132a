/**
 * Keras model configs (the JSON inside .h5 and .keras files) made buildable by
 * TensorFlow.js Layers, which reads the Keras 2 format. Keras 3 differs in places:
 * - every serialised object carries `module` / `registered_name` / `build_config`;
 * - dtypes are DTypePolicy objects rather than strings;
 * - InputLayer says `batch_shape` where Keras 2 says `batch_input_shape`;
 * - Functional `inbound_nodes` are {args, kwargs} call records holding __keras_tensor__
 *   references instead of [[layer, node, tensor, kwargs], ...] lists.
 * Layers TF.js does not implement are refused, naming the layer; Lambda layers (whose
 * config holds serialised Python code) are refused whatever the runtime could do.
 */
import * as tf from '@tensorflow/tfjs-core';
// Importing tfjs-layers registers its layer classes in tfjs-core's serialization map.
import '@tensorflow/tfjs-layers';
import { InputError, type SourceLocation } from '../../errors';
import { isObject, stripKeras3, type Json } from './keras-json';

/** A layer the loader cannot rebuild; the lead maps it to rule `unsupported-layer`. */
export class UnsupportedLayerError extends InputError {
  readonly unsupportedLayer = true;
  constructor(message: string, location: SourceLocation, readonly layerClass: string, readonly layerName: string) {
    super(message, location);
  }
}

export function isUnsupportedLayerError(e: unknown): e is UnsupportedLayerError {
  return e instanceof UnsupportedLayerError;
}

/** Container classes whose `config.layers` lists further layers. */
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/**
 * Refuses configs with layers TF.js cannot rebuild. `field` locates the model config
 * in the file (e.g. "model_config" or "config.json"); layers are named by index.
 */
export function checkSupportedLayers(config: Json, file: string, field: string): void {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  const visit = (model: Json, where: string) => {
    const inner = model.config;
    const layers = Array.isArray(inner) ? inner : isObject(inner) && Array.isArray(inner.layers) ? inner.layers : [];
    layers.forEach((layer: unknown, i: number) => {
      const at = `${where}.layers[${i}]`;
      if (!isObject(layer) || typeof layer.class_name !== 'string') {
        throw new InputError('expected a layer object with "class_name" and "config"', { file, field: at });
      }
      const className = layer.class_name;
      const name = layerName(layer) ?? `#${i}`;
      if (className === 'Lambda' || className === 'TFOpLambda' || className === 'SlicingOpLambda') {
        throw new UnsupportedLayerError(
          `layer "${name}" is a Keras ${className} layer: it holds serialised Python code, which is never rebuilt or run; replace it with built-in layers to audit this model`,
          { file, field: at }, className, name,
        );
      }
      if (MODEL_CLASSES.has(className)) {
        visit(layer, at);
        return;
      }
      if (!(className in registered)) {
        throw new UnsupportedLayerError(
          `layer "${name}" of class ${className} is not supported: TensorFlow.js Layers has no ${className} layer to rebuild it with`,
          { file, field: at }, className, name,
        );
      }
    });
  };
  visit(config, field);
}

function layerName(layer: Json): string | undefined {
  if (typeof layer.name === 'string') return layer.name;
  if (isObject(layer.config) && typeof layer.config.name === 'string') return layer.config.name;
  return undefined;
}

/** A copy of a Keras 2 or 3 model config in the form TF.js Layers deserialises. */
export function normaliseKerasConfig(config: Json): Json {
  return normaliseModel(stripKeras3(config) as Json);
}

function normaliseModel(model: Json): Json {
  const className = model.class_name;
  const inner = model.config;
  if (!isObject(inner) && !Array.isArray(inner)) return model;
  const layersOf = Array.isArray(inner) ? inner : Array.isArray(inner.layers) ? inner.layers : undefined;
  if (!layersOf) return model;
  let layers = layersOf.map((layer: unknown) => (isObject(layer) ? normaliseLayer(layer) : layer)) as Json[];
  if (className === 'Sequential') layers = foldSequentialInput(layers);
  const config: Json = Array.isArray(inner) ? { layers } : { ...inner, layers };
  if (className === 'Functional' || className === 'Model') {
    for (const key of ['input_layers', 'output_layers']) {
      const refs = config[key];
      // Keras 3 writes a single input/output as [name, 0, 0] rather than [[name, 0, 0]].
      if (Array.isArray(refs) && typeof refs[0] === 'string') config[key] = [refs];
    }
  }
  return { ...model, class_name: className === 'Functional' ? 'Model' : className, config };
}

function normaliseLayer(layer: Json): Json {
  if (MODEL_CLASSES.has(String(layer.class_name))) {
    const nested = normaliseModel(layer);
    return 'inbound_nodes' in layer ? { ...nested, inbound_nodes: inboundNodes(layer.inbound_nodes) } : nested;
  }
  const out: Json = { ...layer };
  if (isObject(layer.config)) {
    const config: Json = { ...layer.config };
    if (config.batch_shape !== undefined && config.batch_input_shape === undefined) {
      config.batch_input_shape = config.batch_shape;
      delete config.batch_shape;
    }
    if (layer.class_name === 'InputLayer') delete config.optional;
    out.config = config;
  }
  if ('inbound_nodes' in layer) out.inbound_nodes = inboundNodes(layer.inbound_nodes);
  return out;
}

/** Keras 3 call records -> Keras 2 node lists; Keras 2 lists are returned as they are. */
function inboundNodes(nodes: unknown): unknown {
  if (!Array.isArray(nodes)) return nodes;
  return nodes.map((node) => {
    if (!isObject(node) || !('args' in node)) return node;
    const refs: unknown[] = [];
    collectTensors(node.args, refs);
    return refs;
  });
}

function collectTensors(value: unknown, refs: unknown[]): void {
  if (Array.isArray(value)) {
    value.forEach((v) => collectTensors(v, refs));
    return;
  }
  if (!isObject(value)) return;
  if (value.class_name === '__keras_tensor__' && isObject(value.config) && Array.isArray(value.config.keras_history)) {
    const [name, node, tensor] = value.config.keras_history;
    refs.push([name, node, tensor, {}]);
  }
}

/**
 * TF.js Sequential models take their input shape from the first layer, not from an
 * InputLayer entry (Keras 3 and late Keras 2 write one): fold it into the next layer.
 */
function foldSequentialInput(layers: Json[]): Json[] {
  const first = layers[0];
  if (!first || first.class_name !== 'InputLayer' || layers.length < 2 || !isObject(first.config)) return layers;
  const next = layers[1];
  const nextConfig: Json = isObject(next.config) ? { ...next.config } : {};
  if (nextConfig.batch_input_shape === undefined) nextConfig.batch_input_shape = first.config.batch_input_shape;
  if (nextConfig.dtype === undefined && first.config.dtype !== undefined) nextConfig.dtype = first.config.dtype;
  return [{ ...next, config: nextConfig }, ...layers.slice(2)];
}
