/**
 * PURIFIER-style confidence reshaping (Yang et al., "PURIFIER: Defending Data Inference
 * Attacks via Transforming Confidence Scores"): a reshaping model, trained by the defender
 * only on reference records (outputs of records the target never trained on), maps every
 * served confidence vector to one typical of non-members. Trained to reconstruct reference
 * outputs through a narrow hidden layer, it can only produce confidence vectors like those;
 * a member's over-confident vector comes out looking like a non-member's, which closes the
 * gap confidence-based attacks feed on.
 *
 * The model sees the sorted confidence vector (as in the paper, so it is class-agnostic) and
 * outputs a sorted vector through softmax, trained with cross-entropy against its input.
 * The reshaped values are sorted again and handed back in the original rank order, so the
 * top class, and with it accuracy, is kept.
 *
 * Label swapping (the paper's defense against label-only attacks) is optional and off by
 * default: with `labelSwapRate` > 0, training records the caller marks get their two top
 * classes swapped with that probability, which changes their predicted label on purpose.
 */
import { uniformRandom } from '../random';
import { checkIntegerOption, checkProbabilityRows, descendingOrder, evenlySpacedIndices, fitStandardizer, readRow, softmax, standardize, writeRow } from './confidence-rows';
import { createMlp, mlpForward, trainMlp } from './small-mlp';

export interface PurifierOptions {
  /** Seeds the reshaping model's init and the label-swap draws. */
  seed: number;
  /** Width of the hidden (bottleneck) layer (default 4). */
  hiddenUnits?: number;
  /** Full-batch Adam epochs (default 300). */
  epochs?: number;
  /** Adam learning rate (default 0.01). */
  learningRate?: number;
  /** Probability of swapping the top two classes of a marked training record (default 0: off). */
  labelSwapRate?: number;
}

export interface PurifierDefense {
  numClasses: number;
  /** Mean cross-entropy on the reference outputs after each epoch of training. */
  trainingLoss: number[];
  /**
   * Reshapes every row of `probs`. `trainingRows` marks the defender's own training records;
   * it matters only when label swapping is on.
   */
  reshape(probs: Float32Array, trainingRows?: ArrayLike<boolean>): Float32Array;
}

/** Relative lead kept by the top class after reshaping, so float32 storage cannot tie it. */
const TOP_LEAD = 1e-6;
/** Reference records the reshaping model is fitted on, at most (evenly spaced). */
export const PURIFIER_MAX_FIT_RECORDS = 5000;

export function fitPurifier(reference: Float32Array, numClasses: number, options: PurifierOptions): PurifierDefense {
  if (!Number.isInteger(options.seed)) throw new RangeError(`purifier: seed must be an integer, got ${options.seed}`);
  const swapRate = options.labelSwapRate ?? 0;
  if (!(swapRate >= 0 && swapRate <= 1)) throw new RangeError(`purifier: labelSwapRate must be in [0, 1], got ${swapRate}`);
  checkIntegerOption('purifier', 'hiddenUnits', options.hiddenUnits ?? 4, 1);
  checkIntegerOption('purifier', 'epochs', options.epochs ?? 300, 1);
  const learningRate = options.learningRate ?? 0.01;
  if (!(learningRate > 0 && Number.isFinite(learningRate))) throw new RangeError(`purifier: learningRate must be a finite number > 0, got ${learningRate}`);
  const records = checkProbabilityRows('purifier reference outputs', reference, numClasses);
  if (records === 0) throw new RangeError('purifier: the reshaping model needs reference outputs, got 0 records');
  const sorted: Float64Array[] = [];
  for (const r of evenlySpacedIndices(records, PURIFIER_MAX_FIT_RECORDS)) {
    const row = readRow(reference, numClasses, r);
    sorted.push(Float64Array.from(descendingOrder(row), (c) => row[c]));
  }
  const scaler = fitStandardizer(sorted);
  const inputs = sorted.map((s) => standardize(scaler, s));
  const mlp = createMlp(numClasses, options.hiddenUnits ?? 4, numClasses, options.seed);
  const trainingLoss = trainMlp(
    mlp,
    inputs,
    (output, n, dOutput) => {
      // Cross-entropy of the softmax output against the reference vector itself.
      const q = softmax(output);
      const target = sorted[n];
      let loss = 0;
      for (let i = 0; i < numClasses; i++) {
        dOutput[i] = q[i] - target[i];
        if (target[i] > 0) loss -= target[i] * Math.log(Math.max(q[i], 1e-300));
      }
      return loss;
    },
    { epochs: options.epochs ?? 300, learningRate },
  );

  const reshape = (probs: Float32Array, trainingRows?: ArrayLike<boolean>): Float32Array => {
    const n = checkProbabilityRows('purifier', probs, numClasses);
    if (trainingRows !== undefined && trainingRows.length !== n) {
      throw new RangeError(`purifier: trainingRows has ${trainingRows.length} entries for ${n} records`);
    }
    const uniform = uniformRandom(options.seed);
    const out = new Float32Array(probs.length);
    for (let r = 0; r < n; r++) {
      const row = readRow(probs, numClasses, r);
      const order = descendingOrder(row);
      const x = standardize(scaler, Float64Array.from(order, (c) => row[c]));
      const shaped = Array.from(softmax(mlpForward(mlp, x).output)).sort((a, b) => b - a);
      if (shaped[0] - shaped[1] < TOP_LEAD * shaped[0]) {
        const move = Math.min(shaped[1], TOP_LEAD * shaped[0]);
        shaped[0] += move;
        shaped[1] -= move;
      }
      // Draw for every row, swapped or not, so the stream does not depend on the data.
      const swap = uniform() < swapRate && trainingRows?.[r] === true;
      if (swap) [shaped[0], shaped[1]] = [shaped[1], shaped[0]];
      const result = new Float64Array(numClasses);
      order.forEach((c, i) => (result[c] = shaped[i]));
      writeRow(out, r * numClasses, result);
    }
    return out;
  };
  return { numClasses, trainingLoss, reshape };
}

/** One-call form: fit on the defender's reference outputs and reshape `probs`. */
export function purifier(probs: Float32Array, numClasses: number, reference: Float32Array, options: PurifierOptions): Float32Array {
  return fitPurifier(reference, numClasses, options).reshape(probs);
}
