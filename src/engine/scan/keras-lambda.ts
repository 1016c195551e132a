/**
 * Keras Lambda layers in a model config (Keras 2 "model_config" or Keras 3 config.json).
 * A Lambda stores Python bytecode or source that Keras runs when it rebuilds the model.
 * Pure: walks the JSON wherever layers may nest (Sequential/Functional models inside
 * models, wrappers such as TimeDistributed or Bidirectional holding a layer).
 */
import type { Finding } from '../report/schema';
import { finding } from './finding-builders';

export interface LambdaLayer {
  name: string;
  /** Names of the models and wrappers it sits in, outermost first. */
  path: string[];
}

/** Nesting deeper than this is not a model config anyone wrote; the walk stops there. */
const MAX_DEPTH = 200;

export function findLambdaLayers(config: unknown): LambdaLayer[] {
  const found: LambdaLayer[] = [];
  walk(config, [], 0, found);
  return found;
}

function walk(node: unknown, path: string[], depth: number, found: LambdaLayer[]): void {
  if (depth > MAX_DEPTH || typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, path, depth + 1, found);
    return;
  }
  const record = node as Record<string, unknown>;
  const className = typeof record.class_name === 'string' ? record.class_name : undefined;
  const config = typeof record.config === 'object' && record.config !== null ? record.config as Record<string, unknown> : undefined;
  const name = typeof config?.name === 'string' ? config.name : undefined;
  if (className !== undefined && /(^|\.)Lambda$/.test(className)) {
    found.push({ name: name ?? '(unnamed)', path });
    return;
  }
  const inner = className !== undefined && name !== undefined ? [...path, name] : path;
  for (const value of Object.values(record)) walk(value, inner, depth + 1, found);
}

export function lambdaFindings(file: string, layers: readonly LambdaLayer[]): Finding[] {
  return layers.map((layer) => finding(file, 'serialized-code', 'medium',
    `Lambda layer "${layer.name}"${layer.path.length ? ` (in ${layer.path.join(' > ')})` : ''} stores Python code that Keras runs when it loads the model; the tool never runs it.`,
    { layer: layer.name, callable: 'keras.layers.Lambda' }));
}
