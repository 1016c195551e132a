/**
 * White-box membership inference from gradients (Nasr et al., "Comprehensive Privacy
 * Analysis of Deep Learning", S&P 2019): training drives the loss gradient of training
 * records toward zero, so members have smaller per-record gradient norms.
 *
 * Score = -||dL/dtheta||, the L2 norm over every trainable weight of the model (the sum of
 * the per-layer squared norms). The per-layer norms are returned too, as features a
 * learned attack (Nasr et al. train a classifier on them) can use.
 */
import type { Dataset } from '../artifacts/dataset';
import type { LayerGradientNorms, WhiteBoxModel } from '../artifacts/models/gradient-access';
import type { AttackScores } from './threshold';

export const WHITE_BOX_ATTACK = 'white-box-gradient-norm';

export interface WhiteBoxInput {
  model: WhiteBoxModel;
  members: Dataset;
  nonMembers: Dataset;
  signal?: AbortSignal;
}

export interface WhiteBoxOptions {
  batchSize?: number;
  /**
   * Layers without a batched per-record gradient (anything but Dense, undilated Conv2D and
   * channels-last BatchNormalization in a chain, e.g. PReLU, Conv1D, or every layer of a
   * branching model) are differentiated one record at a time; above this many audited
   * records they are left out of the score. Batched layers are never left out.
   */
  maxPerExampleRecords?: number;
}

export interface WhiteBoxScores extends AttackScores {
  /** Per layer with weights (in model order), per member: gradient norms. */
  memberLayers: LayerGradientNorms[];
  nonMemberLayers: LayerGradientNorms[];
}

export const DEFAULT_MAX_PER_EXAMPLE_RECORDS = 5000;

export async function whiteBoxGradientAttack(input: WhiteBoxInput, options: WhiteBoxOptions = {}): Promise<WhiteBoxScores> {
  const { model, members, nonMembers } = input;
  const limit = options.maxPerExampleRecords ?? DEFAULT_MAX_PER_EXAMPLE_RECORDS;
  const looped = model.layers.filter((l) => l.method === 'per-example');
  const skipPerExampleLayers = looped.length > 0 && members.count + nonMembers.count > limit;
  if (skipPerExampleLayers && looped.length === model.layers.length) {
    throw new Error(
      `the white-box attack differentiates this model's layers one record at a time, and ${members.count + nonMembers.count} records exceed the limit of ${limit}; audit fewer records`,
    );
  }
  const gradientOptions = { batchSize: options.batchSize, skipPerExampleLayers, signal: input.signal };
  const norms = (d: Dataset) => model.perExampleGradientNorms(d.features, d.featureShape, d.labels, d.count, gradientOptions);
  const memberLayers = await norms(members);
  const nonMemberLayers = await norms(nonMembers);

  const notes = [
    `White-box: score = minus the L2 norm of the loss gradient over ${memberLayers.length} layers' weights (${memberLayers.map((l) => l.name).join(', ')}).`,
  ];
  if (skipPerExampleLayers) {
    notes.push(
      `Layers ${looped.map((l) => `${l.name} (${l.className})`).join(', ')} need one gradient pass per record and were left out: ` +
        `${members.count + nonMembers.count} records exceed the limit of ${limit}.`,
    );
  }
  return {
    memberScores: negativeTotalNorm(memberLayers, members.count),
    nonMemberScores: negativeTotalNorm(nonMemberLayers, nonMembers.count),
    memberLayers,
    nonMemberLayers,
    notes,
  };
}

function negativeTotalNorm(layers: LayerGradientNorms[], count: number): Float64Array {
  const squares = new Float64Array(count);
  for (const layer of layers) for (let i = 0; i < count; i++) squares[i] += layer.weightNorms[i] ** 2;
  return squares.map((s) => -Math.sqrt(s));
}
