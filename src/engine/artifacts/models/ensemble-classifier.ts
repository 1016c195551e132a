/**
 * An ensemble of classifiers served as one: the average of its members' class
 * probabilities (deep ensembles as deployed). Attacks query it like any other model.
 */
import { InputError } from '../../errors';
import type { Classifier, PredictOptions } from './classifier';

/** Element-wise mean of equally long probability arrays, summed in float64. */
export function averageProbabilities(outputs: readonly Float32Array[]): Float32Array {
  if (outputs.length === 0) throw new RangeError('averageProbabilities: no outputs to average');
  const length = outputs[0].length;
  for (const [i, o] of outputs.entries()) {
    if (o.length !== length) throw new RangeError(`averageProbabilities: output ${i} has ${o.length} values, output 0 has ${length}`);
  }
  const mean = new Float32Array(length);
  for (let j = 0; j < length; j++) {
    let sum = 0;
    for (const o of outputs) sum += o[j];
    mean[j] = sum / outputs.length;
  }
  return mean;
}

export class EnsembleClassifier implements Classifier {
  readonly format = 'ensemble';
  /** The first member's file: the ensemble has no file of its own. */
  readonly file: string;
  readonly inputShape: (number | null)[];
  readonly numClasses: number;
  readonly parameterCount: number;

  /**
   * Takes ownership of `members` (dispose disposes them). They must agree on the number of
   * classes and the input shape; the first that does not is named in the InputError.
   */
  constructor(readonly members: readonly Classifier[]) {
    if (members.length < 2) throw new RangeError(`an ensemble needs at least 2 models, got ${members.length}`);
    const first = members[0];
    for (const m of members.slice(1)) {
      if (m.numClasses !== first.numClasses) {
        throw new InputError(`ensemble models must have the same classes: this model has ${m.numClasses}, ${first.file} has ${first.numClasses}`, { file: m.file });
      }
      if (m.inputShape.length !== first.inputShape.length || m.inputShape.some((d, i) => d !== null && first.inputShape[i] !== null && d !== first.inputShape[i])) {
        throw new InputError(`ensemble models must take the same input: this model takes [${m.inputShape.join(', ')}], ${first.file} takes [${first.inputShape.join(', ')}]`, { file: m.file });
      }
    }
    this.file = first.file;
    // Where one member leaves a dimension free and another fixes it, the fixed size applies.
    this.inputShape = first.inputShape.map((d, i) => d ?? members.find((m) => m.inputShape[i] !== null)?.inputShape[i] ?? null);
    this.numClasses = first.numClasses;
    this.parameterCount = members.reduce((s, m) => s + m.parameterCount, 0);
  }

  async predictProbabilities(features: Float32Array, featureShape: number[], count: number, options?: PredictOptions): Promise<Float32Array> {
    const outputs: Float32Array[] = [];
    // One member at a time: the backend runs one model at a time anyway, and memory stays flat.
    for (const m of this.members) outputs.push(await m.predictProbabilities(features, featureShape, count, options));
    return averageProbabilities(outputs);
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}
