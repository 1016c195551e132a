/**
 * Defended training of a tfjs-layers model with a custom loop (every defense but
 * DP-SGD): each step minimises the defense's objective over the model's trainable
 * variables, on the same seeded batch plan shadows use. Works for any architecture
 * tfjs-layers can train (Dense stacks, CNNs).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readLayersModelArtifacts } from '../../artifacts/models/tfjs-layers-files';
import { InputError } from '../../errors';
import { BatchPlan } from '../../shadow/batch-plan';
import { buildShadowModel, makeOptimizer, outputKindOf, type OutputKind } from '../../shadow/layers-model';
import { deriveSeed, makeRandom, permutation, type Random } from '../../shadow/random';
import type { StepHooks } from '../../shadow/step-hooks';
import { withDropout } from './dropout-topology';
import { checkModelFits, gatherLabels, gatherRows, inputShapeOf, type DefendJob, type TrainedModel } from './job';
import { alignmentPenalty, averagePredictionKl, flattenedTargets, logProbabilities, meanCrossEntropy, smoothTargets, squaredWeights } from './losses';
import { param } from './params';
import { magnitudeMasks, applyMasks } from './pruning';
import { withSeededMathRandom } from './seeded-math-random';

export async function trainWithDefense(job: DefendJob, hooks: StepHooks): Promise<TrainedModel> {
  const { defense } = job;
  const file = job.architecture.file;
  const notes: string[] = [];
  const model = defense.name === 'kl-pruning' ? await loadTargetModel(job.targetModelFile) : await buildShadowModel(
    defense.name === 'dropout'
      ? { ...job.architecture, topology: withDropout(job.architecture.topology, param(defense, 'rate'), file) }
      : job.architecture,
    defense.train.seed, job.modelIndex);
  const optimizer = makeOptimizer(job.optimizer);
  let masks: Map<tf.Variable, tf.Tensor> | undefined;
  try {
    checkModelFits(model, job, defense.name === 'kl-pruning' ? job.targetModelFile : file);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const kernels = model.trainableWeights.filter((w) => /kernel$/.test(w.originalName)).map((w) => w.read() as tf.Variable);
    if (defense.name === 'kl-pruning') {
      masks = magnitudeMasks(kernels, param(defense, 'sparsity'));
      applyMasks(masks);
      const pruned = [...masks.values()].reduce((s, m) => s + m.size - tf.tidy(() => tf.sum(m).dataSync()[0]), 0);
      const total = kernels.reduce((s, k) => s + k.size, 0);
      notes.push(`kl-pruning: ${pruned} of ${total} kernel weights pruned by magnitude, then fine-tuned with KL weight ${param(defense, 'weight')}`);
    }
    const loop = new DefenseLoop(job, model, variables, kernels, optimizer, masks);
    const samples = await loop.run(hooks, notes);
    return { model, notes, samples };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
    if (masks) tf.dispose([...masks.values()]);
  }
}

async function loadTargetModel(file: string): Promise<tfl.LayersModel> {
  const artifacts = readLayersModelArtifacts(file);
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new InputError(`TensorFlow.js could not build the target model: ${(e as Error).message}`, { file, field: 'modelTopology' });
  }
}

class DefenseLoop {
  private readonly kind: OutputKind;
  private readonly inputShape: number[];
  private readonly dropoutRandom: Random;
  private readonly referenceRandom: Random;

  constructor(
    private readonly job: DefendJob,
    private readonly model: tfl.LayersModel,
    private readonly variables: tf.Variable[],
    private readonly kernels: tf.Variable[],
    private readonly optimizer: tf.Optimizer,
    private readonly masks: Map<tf.Variable, tf.Tensor> | undefined,
  ) {
    this.kind = outputKindOf(model);
    this.inputShape = inputShapeOf(model, job.members.featureShape);
    const seed = job.defense.train.seed;
    this.dropoutRandom = makeRandom(deriveSeed(seed, 'defense-dropout', job.modelIndex));
    this.referenceRandom = makeRandom(deriveSeed(seed, 'defense-reference', job.modelIndex));
  }

  /** Trains; returns the training examples processed. */
  async run(hooks: StepHooks, notes: string[]): Promise<number> {
    const { defense, share } = this.job;
    const train = defense.train;
    let trainSet = share;
    let validation: Int32Array | undefined;
    if (defense.name === 'early-stopping') {
      // The validation records come from the members only: the defender has nothing else.
      const order = permutation(share.length, makeRandom(deriveSeed(train.seed, 'defense-validation', this.job.modelIndex)));
      const count = Math.min(share.length - 1, Math.max(1, Math.round(share.length * param(defense, 'validationFraction'))));
      if (count < 1) throw new InputError('early stopping needs at least 2 member records', { file: this.job.members.source });
      validation = Int32Array.from(order.subarray(0, count), (i) => share[i]);
      trainSet = Int32Array.from(order.subarray(count), (i) => share[i]);
    }
    const plan = new BatchPlan(trainSet, train.batchSize, train.epochs, train.seed, this.job.modelIndex);
    const patience = defense.name === 'early-stopping' ? param(defense, 'patience') : Infinity;
    let best = { loss: Infinity, epoch: -1, weights: undefined as tf.Tensor[] | undefined };
    let samples = 0;
    let epochsRun = 0;
    try {
      for (let epoch = 0; epoch < train.epochs; epoch++) {
        for (let s = 0; s < plan.stepsPerEpoch; s++) {
          hooks.throwIfStopped();
          const step = epoch * plan.stepsPerEpoch + s;
          const batch = plan.batch(step) as Int32Array;
          this.step(batch, epoch);
          samples += batch.length;
          hooks.onSamples(batch.length);
          // Let cancellation and progress messages through now and then.
          if (s % 16 === 15) await new Promise((r) => setImmediate(r));
        }
        epochsRun = epoch + 1;
        if (validation !== undefined) {
          const loss = this.meanLoss(validation);
          if (loss < best.loss) {
            tf.dispose(best.weights ?? []);
            best = { loss, epoch, weights: this.model.getWeights().map((w) => w.clone()) };
          } else if (epoch - best.epoch >= patience) {
            break;
          }
        }
      }
      if (validation !== undefined && best.weights !== undefined) {
        this.model.setWeights(best.weights);
        notes.push(`early stopping: ran ${epochsRun} of ${train.epochs} epochs; restored the weights of epoch ${best.epoch + 1} (validation loss ${best.loss.toFixed(4)} on ${validation.length} held-out members)`);
      }
    } finally {
      tf.dispose(best.weights ?? []);
    }
    return samples;
  }

  private tensorOf(indices: Int32Array, data = this.job.members): tf.Tensor {
    return tf.tensor(gatherRows(data, indices), [indices.length, ...this.inputShape], 'float32');
  }

  private oneHotOf(indices: Int32Array): tf.Tensor2D {
    return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(gatherLabels(this.job.members, indices), 'int32'), this.job.numClasses), 'float32') as tf.Tensor2D);
  }

  private logP(x: tf.Tensor, training: boolean): tf.Tensor2D {
    return logProbabilities(this.kind, this.model.apply(x, { training }) as tf.Tensor);
  }

  /** Mean cross-entropy on `indices` of the members, inference mode. */
  meanLoss(indices: Int32Array): number {
    return tf.tidy(() => meanCrossEntropy(this.logP(this.tensorOf(indices), false), this.oneHotOf(indices)).dataSync()[0]);
  }

  private referenceBatch(size: number): tf.Tensor {
    const reference = this.job.reference;
    if (reference === undefined || reference.count === 0) throw new Error(`${this.job.defense.name} needs reference records`);
    const rows = Int32Array.from({ length: size }, () => Math.floor(this.referenceRandom() * reference.count));
    return this.tensorOf(rows, reference);
  }

  private step(batch: Int32Array, epoch: number): void {
    const { defense } = this.job;
    tf.tidy(() => {
      const x = this.tensorOf(batch);
      const oneHot = this.oneHotOf(batch);
      let targets = defense.name === 'label-smoothing' ? smoothTargets(oneHot, param(defense, 'epsilon')) : oneHot;
      let ascend = false;
      if (defense.name === 'relaxloss') {
        // RelaxLoss (Chen et al. 2022, Alg. 1, as the authors' code schedules it): descend
        // while the batch loss is above the target level alpha; below it, even epochs ascend
        // back up to alpha and odd epochs flatten the non-target posteriors.
        const alpha = param(defense, 'alpha');
        const logP = this.logP(x, false);
        const loss = meanCrossEntropy(logP, oneHot).dataSync()[0];
        if (loss <= alpha) {
          if (epoch % 2 === 0) ascend = true;
          else targets = flattenedTargets(tf.exp(logP), oneHot);
        }
      }
      const reference = defense.name === 'neuguard' || defense.name === 'kl-pruning' ? this.referenceBatch(batch.length) : undefined;
      withSeededMathRandom(this.dropoutRandom, () => this.optimizer.minimize(() => {
        const logP = this.logP(x, true);
        let loss = meanCrossEntropy(logP, targets);
        if (ascend) loss = tf.neg(loss);
        if (defense.name === 'l2') loss = tf.add(loss, tf.mul(param(defense, 'weight'), squaredWeights(this.kernels)));
        if (reference !== undefined) {
          const referenceLogP = this.logP(reference, true);
          const penalty = defense.name === 'neuguard' ? alignmentPenalty(logP, referenceLogP) : averagePredictionKl(logP, referenceLogP);
          loss = tf.add(loss, tf.mul(param(defense, 'weight'), penalty));
        }
        return loss as tf.Scalar;
      }, false, this.variables));
    });
    if (this.masks) applyMasks(this.masks);
  }
}
