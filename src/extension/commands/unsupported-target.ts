/** Why a file cannot be audited, said before anything is sent to the engine. Pure: unit-tested without VS Code. */
import * as path from 'node:path';
import { classify, FORMAT_LABELS, isAuditableFormat, isUnsafeFormat } from '../detection/classify';

/** Why `target` cannot be audited (a format the engine never loads, or a dataset), or undefined. */
export function unsupportedReason(target: string): string | undefined {
  const kind = classify(target);
  const name = path.basename(target);
  if (kind?.kind === 'model' && !isAuditableFormat(kind.format)) {
    return isUnsafeFormat(kind.format)
      ? `${name} is a ${FORMAT_LABELS[kind.format]} file: it can run code when loaded, so it is never loaded. Export the model to TensorFlow.js, Keras or ONNX to audit it.`
      : `${name} holds ${FORMAT_LABELS[kind.format]} weights without the model's architecture; audit the TensorFlow.js, Keras or ONNX model they belong to.`;
  }
  if (kind?.kind === 'dataset') return `${name} is a dataset; audit the model or the manifest that uses it.`;
  return undefined;
}
