/**
 * The architecture shadows use when the target is a black box whose architecture cannot
 * be rebuilt (a TF.js graph model, an ONNX graph with an operator the converter does not
 * support) and the manifest names none: Flatten (for inputs of rank > 1), Dense(128, relu),
 * Dense(classes, softmax), for the input shape and class count the file declares. A
 * Dense stack, so the stacked trainer trains it; shadows of another architecture than
 * the target's are weaker reference models, which the audit's fallback-architecture
 * finding says once.
 */
import * as path from 'node:path';
import type { DeclaredShape } from '../artifacts/models/black-box-shape';
import { isUnsupportedOnnxOpError } from '../artifacts/models/onnx-to-layers';

export const DEFAULT_HIDDEN_UNITS = 128;

/** Why the architecture was chosen by us, and what it is in short ("Flatten-Dense 128-Dense 3"). */
export interface DefaultedArchitecture {
  reason: string;
  summary: string;
  /** The ONNX operator (and its node) that stopped the conversion, when one did. */
  unsupportedOp?: { opType: string; node: string };
}

export function defaultTopology(shape: DeclaredShape): Record<string, unknown> {
  const { inputShape, numClasses } = shape;
  const dense = (name: string, units: number, activation: string): Record<string, unknown> => ({
    class_name: 'Dense',
    config: {
      name, trainable: true, dtype: 'float32', units, activation, use_bias: true,
      kernel_initializer: { class_name: 'GlorotUniform', config: {} },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    },
  });
  const layers: Record<string, unknown>[] = [];
  if (inputShape.length > 1) layers.push({ class_name: 'Flatten', config: { name: 'flatten', trainable: true, dtype: 'float32' } });
  layers.push(dense('dense', DEFAULT_HIDDEN_UNITS, 'relu'), dense('dense_1', numClasses, 'softmax'));
  // TF.js Sequential models take their input shape from the first layer (as model.save() writes it).
  const first = layers[0].config as Record<string, unknown>;
  first.batch_input_shape = [null, ...inputShape];
  return { class_name: 'Sequential', config: { name: 'default_shadow', layers } };
}

export function defaultedArchitecture(file: string, shape: DeclaredShape, what: string, conversionError?: Error): DefaultedArchitecture {
  const summary = `${shape.inputShape.length > 1 ? 'Flatten-' : ''}Dense ${DEFAULT_HIDDEN_UNITS}-Dense ${shape.numClasses}`;
  if (isUnsupportedOnnxOpError(conversionError)) {
    return {
      reason: `${displayName(file)} holds the ONNX operator ${conversionError.opType} (node "${conversionError.nodeName}"), which cannot be converted to TF.js layers for shadows (${conversionError.detail})`,
      summary,
      unsupportedOp: { opType: conversionError.opType, node: conversionError.nodeName },
    };
  }
  if (conversionError) return { reason: `${displayName(file)}'s ONNX graph could not be converted to TF.js layers (${withoutLocation(conversionError.message, file)})`, summary };
  return { reason: `${displayName(file)} is a black box (${what})`, summary };
}

/** An InputError's message starts with its file; the reason names the file already. */
function withoutLocation(message: string, file: string): string {
  return message.startsWith(file) ? message.slice(message.indexOf(': ') + 2) : message;
}

/**
 * The note shadow-model attacks carry when their shadows use the default architecture, and
 * a defense evaluation when the defended model was retrained with it.
 */
export function defaultArchitectureNote(defaulted: DefaultedArchitecture, subject: 'shadows' | 'retrained' = 'shadows'): string {
  if (subject === 'retrained') {
    return `The defended model was retrained with a default architecture (${defaulted.summary}) because ${defaulted.reason}; set shadow.architecture to copy the real one.`;
  }
  return `Shadow models use a default architecture (${defaulted.summary}) instead of the target's own because ${defaulted.reason}, so the shadow-model attacks are likely understated; set shadow.architecture to a Keras or TF.js Layers file of the same architecture.`;
}

/** model.json is named with its folder, which is what tells one model from another. */
function displayName(file: string): string {
  const base = path.basename(file);
  return base.toLowerCase() === 'model.json' ? path.join(path.basename(path.dirname(file)), base) : base;
}
