/**
 * DP-SGD (Abadi et al. 2016) as TF Privacy / Opacus run it: each step samples a Poisson
 * batch (every member independently with rate q = batchSize / members), clips each
 * example's gradient to clipNorm, adds Gaussian noise of std noiseMultiplier * clipNorm
 * to the sum, divides by the expected batch size q * members, and hands the result to
 * the optimiser. Steps = ceil(epochs / q), as the accountant counts them, so the
 * reported epsilon is the one for exactly the run that happened.
 *
 * Dense stacks get vectorised per-example gradients (dense-per-example.ts); any other
 * architecture falls back to one tf.variableGrads per example (said in the notes).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { denseStackOf, isDenseStack, type DenseStack } from '../../shadow/architecture';
import { buildShadowModel, makeOptimizer, outputKindOf } from '../../shadow/layers-model';
import { deriveSeed, makeRandom } from '../../shadow/random';
import type { StepHooks } from '../../shadow/step-hooks';
import { dpSgdEpsilon } from '../rdp-accountant';
import { clippedGradientSum, type DenseParams } from './dense-per-example';
import { checkModelFits, gatherLabels, gatherRows, inputShapeOf, type DefendJob, type TrainedModel } from './job';
import { logProbabilities } from './losses';
import { param } from './params';

/** Unique variable names per process (tfjs registers variables by name). */
let variableCounter = 0;

export async function trainDpSgd(job: DefendJob, hooks: StepHooks): Promise<TrainedModel> {
  const { defense, share } = job;
  const train = defense.train;
  const sigma = param(defense, 'noiseMultiplier');
  const clipNorm = param(defense, 'clipNorm');
  const delta = param(defense, 'delta');
  const n = share.length;
  const q = Math.min(1, train.batchSize / n);
  const steps = Math.max(1, Math.ceil(train.epochs / q - 1e-9));
  const expectedBatch = q * n;

  const model = await buildShadowModel(job.architecture, train.seed, job.modelIndex);
  const optimizer = makeOptimizer(job.optimizer);
  const notes: string[] = [];
  try {
    checkModelFits(model, job, job.architecture.file);
    const stack = denseStackOf(job.architecture.topology);
    const variables = isDenseStack(stack)
      ? model.getWeights().map((w) => tf.variable(w, true, `mpl_dp_sgd_${variableCounter++}`))
      : model.trainableWeights.map((w) => w.read() as tf.Variable);
    if (!isDenseStack(stack)) {
      notes.push(`per-example gradients computed in a loop (${stack.reason}); only plain Dense stacks are vectorised`);
    }
    const sampler = makeRandom(deriveSeed(train.seed, 'dp-sgd-poisson', job.modelIndex));
    const inputShape = inputShapeOf(model, job.members.featureShape);
    let samples = 0;
    try {
      for (let step = 0; step < steps; step++) {
        hooks.throwIfStopped();
        const picked: number[] = [];
        for (let i = 0; i < n; i++) if (sampler() < q) picked.push(share[i]);
        const batch = Int32Array.from(picked);
        tf.tidy(() => {
          const sums = batch.length === 0 ? variables.map((v) => tf.zerosLike(v))
            : isDenseStack(stack)
              ? denseSums(stack, variables, batch, job, clipNorm)
              : loopSums(model, variables, batch, job, inputShape, clipNorm);
          const noisy = sums.map((g, k) => {
            const noise = tf.randomNormal(g.shape, 0, sigma * clipNorm, 'float32', deriveSeed(train.seed, 'dp-sgd-noise', job.modelIndex, step, k));
            return { name: variables[k].name, tensor: tf.div(tf.add(g, noise), expectedBatch) };
          });
          optimizer.applyGradients(noisy);
        });
        samples += batch.length;
        hooks.onSamples(batch.length);
        if (step % 16 === 15) await new Promise((r) => setImmediate(r));
      }
      if (isDenseStack(stack)) model.setWeights(variables);
    } finally {
      if (isDenseStack(stack)) tf.dispose(variables);
    }
    const spent = dpSgdEpsilon({ samplingRate: q, noiseMultiplier: sigma, steps, delta });
    // The tighter RDP-to-DP conversion current DP libraries use (Balle et al. 2020), reported beside the classic one.
    const improved = dpSgdEpsilon({ samplingRate: q, noiseMultiplier: sigma, steps, delta, conversion: 'improved' });
    notes.push(`DP-SGD: ${steps} steps, sampling rate ${q.toPrecision(4)}, noise multiplier ${sigma}, clip norm ${clipNorm}: epsilon ${spent.epsilon.toFixed(3)} at delta ${delta} by the classic RDP conversion (Mironov 2017, order ${spent.optimalOrder}), ${improved.epsilon.toFixed(3)} by the improved one (Balle et al. 2020, order ${improved.optimalOrder})`);
    return {
      model, notes, samples,
      dp: { epsilon: spent.epsilon, epsilonImproved: improved.epsilon, delta, noiseMultiplier: sigma, samplingRate: q, steps, order: spent.optimalOrder },
    };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
}

/** Vectorised clipped sums, in the variables' order (kernel, bias per layer). */
function denseSums(stack: DenseStack, variables: tf.Variable[], batch: Int32Array, job: DefendJob, clipNorm: number): tf.Tensor[] {
  const params: DenseParams = { kernels: [], biases: [] };
  let k = 0;
  for (const layer of stack.layers) {
    params.kernels.push(variables[k++] as tf.Tensor as tf.Tensor2D);
    params.biases.push(layer.useBias ? variables[k++] as tf.Tensor as tf.Tensor1D : undefined);
  }
  const x = tf.tensor2d(gatherRows(job.members, batch), [batch.length, stack.inputSize]);
  const targets = tf.cast(tf.oneHot(tf.tensor1d(gatherLabels(job.members, batch), 'int32'), job.numClasses), 'float32') as tf.Tensor2D;
  const sums = clippedGradientSum(stack, params, x, targets, clipNorm);
  const out: tf.Tensor[] = [];
  stack.layers.forEach((layer, l) => {
    out.push(sums.kernels[l]);
    const bias = sums.biases[l];
    if (layer.useBias && bias !== undefined) out.push(bias);
  });
  return out;
}

/** Any tfjs-layers model: one gradient per example, clipped and summed. */
function loopSums(model: tfl.LayersModel, variables: tf.Variable[], batch: Int32Array, job: DefendJob, inputShape: number[], clipNorm: number): tf.Tensor[] {
  const kind = outputKindOf(model);
  let sums: tf.Tensor[] = variables.map((v) => tf.zerosLike(v));
  for (const record of batch) {
    const next = tf.tidy(() => {
      const x = tf.tensor(gatherRows(job.members, [record]), [1, ...inputShape], 'float32');
      const y = tf.cast(tf.oneHot(tf.tensor1d([job.members.labels[record]], 'int32'), job.numClasses), 'float32');
      const { grads } = tf.variableGrads(
        () => tf.neg(tf.sum(tf.mul(y, logProbabilities(kind, model.apply(x, { training: true }) as tf.Tensor)))) as tf.Scalar,
        variables);
      const g = variables.map((v) => grads[v.name]);
      const norm = Math.sqrt(g.reduce((s, t) => s + tf.sum(tf.square(t)).dataSync()[0], 0));
      const c = Math.min(1, clipNorm / Math.max(norm, 1e-12));
      return sums.map((s, k) => tf.add(s, tf.mul(g[k], c)));
    });
    tf.dispose(sums);
    sums = next;
  }
  return sums;
}
