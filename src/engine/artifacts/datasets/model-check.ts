import type { Dataset } from '../dataset';
import { recordSize } from '../dataset';
import { InputError } from '../../errors';
import { formatShape } from './numbers';

export interface ModelInputs {
  /** Including the leading batch dimension, as models declare it: [null, 28, 28, 1]. */
  inputShape: (number | null)[];
  numClasses: number;
}

/**
 * Checks a dataset against the model that will be queried with it and returns the
 * per-record feature shape to feed the model. A record whose element count matches is
 * accepted and reshaped ([784] for a model wanting [28, 28, 1], or the other way round);
 * `role` ("members", "nonMembers", ...) starts the message so the user knows which file.
 */
export function checkDatasetForModel(ds: Dataset, model: ModelInputs, role: string): number[] {
  const wanted = model.inputShape.slice(1);
  const have = ds.featureShape;
  let shape: number[] | undefined;
  if (wanted.length === have.length && wanted.every((d, i) => d === null || d === have[i])) shape = have;
  else if (!wanted.includes(null) && recordSize(wanted as number[]) === recordSize(have)) shape = wanted as number[];
  if (!shape) {
    const wantedSize = wanted.includes(null) ? 'a variable number of' : String(recordSize(wanted as number[]));
    throw new InputError(
      `${role}: model expects inputs of shape ${formatShape(wanted)} (${wantedSize} values per record), file has records of shape ${formatShape(have)} (${recordSize(have)} values)`,
      { file: ds.source },
    );
  }
  checkLabelsInRange(ds, model.numClasses, role);
  return shape;
}

/** Records per class; throws like checkDatasetForModel on a label the model cannot output. */
export function classCounts(ds: Dataset, numClasses: number): number[] {
  checkLabelsInRange(ds, numClasses, 'labels');
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of ds.labels) counts[label]++;
  return counts;
}

function checkLabelsInRange(ds: Dataset, numClasses: number, role: string): void {
  for (let r = 0; r < ds.labels.length; r++) {
    const label = ds.labels[r];
    if (label < 0 || label >= numClasses) {
      throw new InputError(
        `${role}: label ${label} of record ${r} is outside the model's ${numClasses} classes (expected 0..${numClasses - 1})`,
        { file: ds.source, record: r },
      );
    }
  }
}
