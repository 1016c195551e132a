/**
 * Which trainer a run uses: the stacked one for Dense stacks (checked against the
 * records and class count here, before any thread starts), else the per-model one.
 * Free of TensorFlow imports so the main thread can decide cheaply.
 */
import { InputError } from '../errors';
import { denseStackOf, isDenseStack, type DenseStack } from './architecture';
import type { GroupSetup } from './train-group';

export type Trainer = 'stacked' | 'per-model';

/** Which trainer a setup uses: stacked for Dense stacks whose input matches the records. */
export function trainerFor(setup: Pick<GroupSetup, 'architecture' | 'store' | 'numClasses'>): { trainer: Trainer; stack?: DenseStack; reason?: string } {
  const stack = denseStackOf(setup.architecture.topology);
  if (!isDenseStack(stack)) return { trainer: 'per-model', reason: stack.reason };
  if (stack.inputSize !== setup.store.size) {
    throw new InputError(
      `the model takes ${stack.inputSize} input values per record but the records have ${setup.store.size} ([${setup.store.featureShape.join(', ')}])`,
      { file: setup.architecture.file, field: 'modelTopology' },
    );
  }
  const units = stack.layers[stack.layers.length - 1].units;
  if (units !== setup.numClasses) {
    throw new InputError(`the model has ${units} outputs but the audit has ${setup.numClasses} classes`, {
      file: setup.architecture.file, field: 'modelTopology',
    });
  }
  return { trainer: 'stacked', stack };
}
