/**
 * The training objectives of the defenses, on a model's raw output (probabilities,
 * logits or one sigmoid unit, see shadow/layers-model.ts). All are means over the batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OutputKind } from '../../shadow/layers-model';

/** Smallest probability a log is taken of (Keras' epsilon). */
const PROBABILITY_FLOOR = 1e-7;

/** Log class probabilities [n, classes]; a sigmoid unit becomes two classes. */
export function logProbabilities(kind: OutputKind, output: tf.Tensor): tf.Tensor2D {
  if (kind === 'logits') return tf.logSoftmax(output as tf.Tensor2D);
  const probabilities = kind === 'sigmoid' ? tf.concat([tf.sub(1, output), output], 1) : output;
  return tf.log(tf.clipByValue(probabilities, PROBABILITY_FLOOR, 1)) as tf.Tensor2D;
}

/** Cross-entropy of each example against (possibly soft) targets, [n]. */
export function crossEntropyPerExample(logP: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(targets, logP), 1)) as tf.Tensor1D;
}

export function meanCrossEntropy(logP: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.mean(crossEntropyPerExample(logP, targets)) as tf.Scalar;
}

/** Label smoothing (Szegedy et al. 2016): (1 - eps) one-hot + eps / classes. */
export function smoothTargets(oneHot: tf.Tensor2D, epsilon: number): tf.Tensor2D {
  const classes = oneHot.shape[1];
  return tf.add(tf.mul(oneHot, 1 - epsilon), epsilon / classes) as tf.Tensor2D;
}

/**
 * RelaxLoss's posterior-flattening targets (Chen et al. ICLR 2022, Alg. 1): keep the
 * model's own confidence on the true class and spread the rest evenly over the other
 * classes, so the non-target posterior is flat. Like the authors' code, every example of
 * the batch is flattened, correctly classified or not. Computed from a forward pass
 * outside the gradient (tfjs has no stop-gradient), so these are constants in the loss.
 */
export function flattenedTargets(probabilities: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const classes = oneHot.shape[1];
    const confidence = tf.sum(tf.mul(probabilities, oneHot), 1, true);
    const rest = tf.div(tf.sub(1, confidence), Math.max(1, classes - 1));
    return tf.add(tf.mul(oneHot, confidence), tf.mul(tf.sub(1, oneHot), rest)) as tf.Tensor2D;
  });
}

/** Mean entropy of the rows of `logP`. */
function meanEntropy(logP: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logP), logP), 1))) as tf.Scalar;
}

/**
 * NeuGuard-style alignment (Xu et al. 2022): members' outputs should be distributed like
 * outputs on records the model never trained on. Penalises the squared distance between
 * the mean prediction vectors of a member batch and a reference batch, plus the squared
 * difference of their mean entropies (the confidence gap attacks exploit).
 */
export function alignmentPenalty(memberLogP: tf.Tensor2D, referenceLogP: tf.Tensor2D): tf.Scalar {
  const meanGap = tf.sum(tf.square(tf.sub(tf.mean(tf.exp(memberLogP), 0), tf.mean(tf.exp(referenceLogP), 0))));
  const entropyGap = tf.square(tf.sub(meanEntropy(memberLogP), meanEntropy(referenceLogP)));
  return tf.add(meanGap, entropyGap) as tf.Scalar;
}

/**
 * KL(average member prediction || average reference prediction): the pruning defense's
 * regulariser, which pulls the two output distributions together while fine-tuning.
 */
export function averagePredictionKl(memberLogP: tf.Tensor2D, referenceLogP: tf.Tensor2D): tf.Scalar {
  const pm = tf.clipByValue(tf.mean(tf.exp(memberLogP), 0), PROBABILITY_FLOOR, 1);
  const pr = tf.clipByValue(tf.mean(tf.exp(referenceLogP), 0), PROBABILITY_FLOOR, 1);
  return tf.sum(tf.mul(pm, tf.sub(tf.log(pm), tf.log(pr)))) as tf.Scalar;
}

/** Sum of squared kernel weights (Keras' l2 regulariser without its factor). */
export function squaredWeights(kernels: tf.Tensor[]): tf.Scalar {
  return kernels.reduce<tf.Scalar>((sum, k) => tf.add(sum, tf.sum(tf.square(k))) as tf.Scalar, tf.scalar(0));
}
