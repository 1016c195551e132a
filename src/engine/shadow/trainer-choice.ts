/**
 * Which trainer a run uses: the stacked one for Dense stacks, the convolutional one
 * (cnn-trainer.ts) for the CNNs our kernels cover (both checked against the records and
 * class count here, before any thread starts), else the per-model TF.js one, with the
 * reason. Free of TensorFlow imports so the main thread can decide cheaply.
 */
import { InputError } from '../errors';
import { denseStackOf, isDenseStack, type DenseStack } from './architecture';
import { cnnSpecOf, cnnWorkingFloats, isCnnSpec, type CnnSpec } from './cnn-architecture';
import type { GroupSetup } from './train-group';

export type Trainer = 'stacked' | 'cnn' | 'per-model';

/** The convolutional trainer's memory per worker (its WebAssembly memory can grow to 2 GiB). */
const CNN_MAX_BYTES = 1536 * 1024 * 1024;

/** Layers that make a model convolutional: its trainer note then says why the CNN trainer could not take it. */
const CONVOLUTIONAL = /"class_name":"(Conv2D|DepthwiseConv2D|SeparableConv2D|MaxPooling2D|AveragePooling2D|GlobalAveragePooling2D|GlobalMaxPooling2D)"/;

/** Which trainer a setup uses: stacked for Dense stacks, cnn for covered CNNs, whose input matches the records. */
export function trainerFor(
  setup: Pick<GroupSetup, 'architecture' | 'store' | 'numClasses'> & { batchSize?: number },
): { trainer: Trainer; stack?: DenseStack; cnn?: CnnSpec; reason?: string } {
  const stack = denseStackOf(setup.architecture.topology);
  if (!isDenseStack(stack)) {
    const cnn = cnnSpecOf(setup.architecture.topology);
    const bytes = isCnnSpec(cnn) ? 4 * cnnWorkingFloats(cnn, setup.batchSize ?? 1) : 0;
    if (isCnnSpec(cnn) && bytes > CNN_MAX_BYTES) {
      return {
        trainer: 'per-model',
        reason: `the convolutional trainer would need ${Math.ceil(bytes / 2 ** 20)} MiB per worker at batch size ${setup.batchSize} (at most ${CNN_MAX_BYTES / 2 ** 20}), so TF.js layers trains it`,
      };
    }
    if (isCnnSpec(cnn)) {
      checkShapes(setup, cnn.inputSize, cnn.numClasses);
      return { trainer: 'cnn', cnn };
    }
    const convolutional = CONVOLUTIONAL.test(JSON.stringify(setup.architecture.topology));
    return {
      trainer: 'per-model',
      reason: convolutional ? `${cnn.reason}: the convolutional trainer does not cover it, so TF.js layers trains it` : stack.reason,
    };
  }
  checkShapes(setup, stack.inputSize, stack.layers[stack.layers.length - 1].units);
  return { trainer: 'stacked', stack };
}

/** The model's input size and output units against the records and the audit's classes. */
function checkShapes(setup: Pick<GroupSetup, 'architecture' | 'store' | 'numClasses'>, inputSize: number, units: number): void {
  if (inputSize !== setup.store.size) {
    throw new InputError(
      `the model takes ${inputSize} input values per record but the records have ${setup.store.size} ([${setup.store.featureShape.join(', ')}])`,
      { file: setup.architecture.file, field: 'modelTopology' },
    );
  }
  if (units !== setup.numClasses) {
    throw new InputError(`the model has ${units} outputs but the audit has ${setup.numClasses} classes`, {
      file: setup.architecture.file, field: 'modelTopology',
    });
  }
}
