/**
 * The parts of reading a Keras config that need no TensorFlow: plain JSON rewriting shared
 * by the loaders (keras-config.ts, keras-model-config.ts) and the language server's scanner.
 */
export type Json = Record<string, unknown>;

export function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Keys of Keras 3 serialised objects that TF.js neither needs nor understands. */
const KERAS3_ONLY_KEYS = new Set(['module', 'registered_name', 'build_config', 'compile_config', 'shared_object_id']);

/** Removes Keras 3 bookkeeping keys and turns DTypePolicy objects into dtype names. */
export function stripKeras3(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripKeras3);
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (KERAS3_ONLY_KEYS.has(key) && ('class_name' in value || key === 'build_config')) continue;
    out[key] = key === 'dtype' && isObject(v) ? policyDtype(v) : stripKeras3(v);
  }
  return out;
}

/** float32 for every policy: mixed-precision models still hold float32 weights. */
function policyDtype(policy: Json): string {
  const name = isObject(policy.config) ? policy.config.name : undefined;
  return typeof name === 'string' && ['float32', 'int32', 'bool'].includes(name) ? name : 'float32';
}

/**
 * The training settings in model.json's `trainingConfig` form ({optimizer_config, loss})
 * from Keras 2's `training_config` or Keras 3's `compile_config`, when present.
 */
export function trainingConfigOf(raw: unknown): Json | undefined {
  if (!isObject(raw)) return undefined;
  if (isObject(raw.optimizer_config)) return stripKeras3(raw) as Json;
  if (isObject(raw.optimizer)) {
    const optimizer = stripKeras3(raw.optimizer) as Json;
    return { optimizer_config: { class_name: optimizer.class_name, config: optimizer.config }, loss: raw.loss ?? null };
  }
  return undefined;
}
