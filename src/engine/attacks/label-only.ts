/**
 * Label-only membership inference (Choquette-Choo et al., "Label-Only Membership Inference
 * Attacks", ICML 2021): the attacker sees only the predicted label (the argmax), never a
 * probability. Both variants score how robustly a record keeps its true label, since a
 * model fits its training records with a wider margin:
 *
 * - label-only-augmentation: the fraction of augmented queries (see label-only-augmentation.ts)
 *   predicted as the true label. The count-based binomial log-likelihood ratio of the paper is
 *   a monotone function of this count, so both give the same ROC; the fraction reads better.
 *   With Q queries there are only Q + 1 distinct scores, so the ROC has few points.
 * - label-only-boundary: the distance to the decision boundary under random perturbations
 *   (see label-only-perturbation.ts); misclassified records score 0.
 *
 * Neither needs shadow models. The per-feature standard deviations that scale the noise come
 * from the audited records (members and non-members together; membership is not used).
 */
import type { Dataset } from '../artifacts/dataset';
import type { Classifier } from '../artifacts/models/classifier';
import {
  IMAGE_AUGMENTATIONS,
  augmentImage,
  recordLayout,
  tabularNoiseBank,
  type LayoutPreference,
} from './label-only-augmentation';
import {
  boundaryDirections,
  boundaryDistances,
  queryBudgetPerRecord,
  CENSORED_RADIUS_FACTOR,
  type BoundarySearchOptions,
  type LabelQuery,
} from './label-only-perturbation';
import { predictedLabels } from './signals';
import type { AttackScores } from './threshold';

export const LABEL_ONLY_ATTACKS = ['label-only-augmentation', 'label-only-boundary'] as const;
export type LabelOnlyAttack = (typeof LABEL_ONLY_ATTACKS)[number];

export interface LabelOnlyInput {
  model: Classifier;
  members: Dataset;
  nonMembers: Dataset;
  signal?: AbortSignal;
}

export interface AugmentationAttackOptions {
  /**
   * How records are read; 'auto' = images for [H, W], [H, W, C] and square lengths >= 64,
   * taking the shape from the model's input when it is a fixed image shape of the same size.
   */
  layout?: LayoutPreference;
  /** Tabular records: number of queries, the unperturbed one included. */
  tabularQueries?: number;
  /** Tabular records: noise standard deviation, in feature standard deviations. */
  noiseScale?: number;
  seed?: number;
  /** Records augmented and queried together. */
  chunkRecords?: number;
}

export const AUGMENTATION_DEFAULTS = { tabularQueries: 18, noiseScale: 0.3, seed: 1, chunkRecords: 256 } as const;

export type BoundaryAttackOptions = Partial<BoundarySearchOptions & { seed: number }>;

export const BOUNDARY_DEFAULTS: Required<BoundaryAttackOptions> = {
  directions: 8,
  maxRadius: 8,
  levels: 8,
  refinements: 5,
  chunkRecords: 256,
  seed: 1,
};

export async function labelOnlyAugmentationAttack(
  input: LabelOnlyInput,
  options: AugmentationAttackOptions = {},
): Promise<AttackScores> {
  const featureShape = sharedFeatureShape(input);
  const layout = recordLayout(layoutShape(input.model, featureShape), options.layout ?? 'auto');
  const query = labelQuery(input.model, featureShape, input.signal);
  const chunkRecords = options.chunkRecords ?? AUGMENTATION_DEFAULTS.chunkRecords;
  let augment: Augmenter;
  let queries: number;
  let description: string;
  if (layout.kind === 'image') {
    queries = IMAGE_AUGMENTATIONS.length;
    augment = (source, target, q) => augmentImage(source, target, layout, IMAGE_AUGMENTATIONS[q]);
    description = `${queries} queries per record: mirror x {no shift, +-1, +-2 pixels along x or y} on ${layout.height}x${layout.width}x${layout.channels} images`;
  } else {
    queries = options.tabularQueries ?? AUGMENTATION_DEFAULTS.tabularQueries;
    if (!Number.isInteger(queries) || queries < 2) throw new RangeError(`tabularQueries must be an integer >= 2, got ${queries}`);
    const noiseScale = options.noiseScale ?? AUGMENTATION_DEFAULTS.noiseScale;
    const bank = tabularNoiseBank(queries, featureScale(input, layout.size), noiseScale, options.seed ?? AUGMENTATION_DEFAULTS.seed);
    augment = (source, target, q) => {
      if (q === 0) target.set(source);
      else for (let j = 0; j < source.length; j++) target[j] = source[j] + bank[(q - 1) * source.length + j];
    };
    description = `${queries} queries per record: the record and ${queries - 1} copies with Gaussian noise of ${noiseScale} feature standard deviations (seeded, shared by all records)`;
  }
  const score = (dataset: Dataset) => correctFraction(query, dataset, augment, queries, chunkRecords);
  return {
    memberScores: await score(input.members),
    nonMemberScores: await score(input.nonMembers),
    notes: [
      `Label-only: ${description}; score = fraction predicted as the true label (only argmax labels are used).`,
      `With ${queries} queries the score takes at most ${queries + 1} values, so the ROC has few distinct thresholds.`,
    ],
  };
}

export async function labelOnlyBoundaryAttack(
  input: LabelOnlyInput,
  options: BoundaryAttackOptions = {},
): Promise<AttackScores> {
  const settings = { ...BOUNDARY_DEFAULTS, ...options };
  for (const key of ['directions', 'levels', 'chunkRecords'] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) throw new RangeError(`${key} must be a positive integer, got ${settings[key]}`);
  }
  if (!(settings.maxRadius > 0)) throw new RangeError(`maxRadius must be positive, got ${settings.maxRadius}`);
  const featureShape = sharedFeatureShape(input);
  const size = input.members.features.length / input.members.count;
  const directions = boundaryDirections(settings.directions, featureScale(input, size), settings.seed);
  const query = labelQuery(input.model, featureShape, input.signal);
  const members = await boundaryDistances(query, input.members.features, input.members.labels, directions, settings);
  const nonMembers = await boundaryDistances(query, input.nonMembers.features, input.nonMembers.labels, directions, settings);
  const censored = members.censoredRecords + nonMembers.censoredRecords;
  const notes = [
    `Label-only boundary distance: ${settings.directions} random directions (seeded, scaled by feature standard deviations), ` +
      `radii up to ${settings.maxRadius} standard deviations, ${settings.refinements} bisection steps; ` +
      `at most ${queryBudgetPerRecord(settings)} label queries per record, ${members.queries + nonMembers.queries} made. ` +
      'Misclassified records score 0.',
  ];
  if (censored > 0) {
    notes.push(`${censored} records kept their label at every radius searched; they share the score ${CENSORED_RADIUS_FACTOR * settings.maxRadius}.`);
  }
  return { memberScores: members.distances, nonMemberScores: nonMembers.distances, notes };
}

/** Writes augmented query q of one record into target. */
type Augmenter = (source: Float32Array, target: Float32Array, query: number) => void;

async function correctFraction(
  query: LabelQuery,
  dataset: Dataset,
  augment: Augmenter,
  queries: number,
  chunkRecords: number,
): Promise<Float64Array> {
  const size = dataset.features.length / dataset.count;
  const scores = new Float64Array(dataset.count);
  const batch = new Float32Array(Math.min(chunkRecords, dataset.count) * queries * size);
  for (let start = 0; start < dataset.count; start += chunkRecords) {
    const count = Math.min(chunkRecords, dataset.count - start);
    for (let r = 0; r < count; r++) {
      const source = dataset.features.subarray((start + r) * size, (start + r + 1) * size);
      for (let q = 0; q < queries; q++) {
        const row = (r * queries + q) * size;
        augment(source, batch.subarray(row, row + size), q);
      }
    }
    const labels = await query(batch.subarray(0, count * queries * size), count * queries);
    for (let r = 0; r < count; r++) {
      let correct = 0;
      for (let q = 0; q < queries; q++) if (labels[r * queries + q] === dataset.labels[start + r]) correct++;
      scores[start + r] = correct / queries;
    }
  }
  return scores;
}

/** The model seen as a label oracle: probabilities are reduced to their argmax at once. */
function labelQuery(model: Classifier, featureShape: number[], signal: AbortSignal | undefined): LabelQuery {
  return async (features, count) => {
    const probabilities = await model.predictProbabilities(features, featureShape, count, { signal });
    return predictedLabels(probabilities, model.numClasses);
  };
}

function sharedFeatureShape(input: LabelOnlyInput): number[] {
  const a = input.members.featureShape;
  const b = input.nonMembers.featureShape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new Error(`members have records of shape [${a.join(', ')}] but non-members [${b.join(', ')}]`);
  }
  if (input.members.count === 0 || input.nonMembers.count === 0) throw new Error('label-only attacks need at least one member and one non-member');
  return a;
}

/**
 * The model's own input shape when it is a fixed image shape holding the record's values
 * (a flat [3072] dataset fed to a [32, 32, 3] model is a colour image), else the dataset's.
 */
function layoutShape(model: Classifier, featureShape: number[]): readonly number[] {
  const modelShape = model.inputShape;
  const fixed = modelShape.every((d): d is number => typeof d === 'number');
  const sameSize = fixed && modelShape.reduce<number>((a, b) => a * (b as number), 1) === featureShape.reduce((a, b) => a * b, 1);
  return sameSize && (modelShape.length === 2 || modelShape.length === 3) ? (modelShape as number[]) : featureShape;
}

/** Standard deviation of each feature over members and non-members together (two-pass, float64). */
function featureScale(input: LabelOnlyInput, size: number): Float64Array {
  const sets = [input.members, input.nonMembers];
  const total = input.members.count + input.nonMembers.count;
  const mean = new Float64Array(size);
  for (const set of sets) for (let i = 0; i < set.features.length; i++) mean[i % size] += set.features[i];
  for (let j = 0; j < size; j++) mean[j] /= total;
  const variance = new Float64Array(size);
  for (const set of sets) {
    for (let i = 0; i < set.features.length; i++) {
      const d = set.features[i] - mean[i % size];
      variance[i % size] += d * d;
    }
  }
  // Constant features (an image's blank border) get no noise: moving them leaves the data's support.
  return variance.map((v) => Math.sqrt(v / total));
}
