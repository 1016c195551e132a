/**
 * Every defense a manifest may name under "defense" or "defenses.evaluate", with its kind,
 * parameters, defaults and ranges. The schema's per-defense sub-schemas mirror this list
 * (a unit test ties them together); the manifest layer fills defaults from it and the
 * evaluation pipeline reads the kind from it.
 */

export type DefenseKind = 'training' | 'inference';

export interface DefenseParameter {
  name: string;
  type: 'number' | 'integer';
  /** Absent for the retraining settings, whose defaults come from the audit's shadow settings. */
  default?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
  description: string;
}

export interface DefenseInfo {
  name: string;
  kind: DefenseKind;
  /** One line for reports and the schema. */
  description: string;
  params: readonly DefenseParameter[];
  /** Needs defender-side reference records: the audit's "population" (never its non-members). */
  needsReference?: boolean;
}

/** Settings every training-time defense accepts; absent ones come from the audit's "shadow" settings. */
export const RETRAIN_PARAMETERS: readonly DefenseParameter[] = [
  { name: 'epochs', type: 'integer', minimum: 1, maximum: 10000, description: 'Training epochs of the retrained model; default: the audit\'s shadow.epochs.' },
  { name: 'batchSize', type: 'integer', minimum: 1, maximum: 65536, description: 'Minibatch size (DP-SGD: expected Poisson batch size, sampling rate = batchSize / members); default: the audit\'s shadow.batchSize.' },
  { name: 'learningRate', type: 'number', exclusiveMinimum: 0, maximum: 10, description: 'Learning rate; default: the audit\'s shadow.learningRate.' },
];

const training = (name: string, description: string, params: DefenseParameter[], extra: Partial<DefenseInfo> = {}): DefenseInfo => ({
  name,
  kind: 'training',
  description,
  params: [...params, ...RETRAIN_PARAMETERS],
  ...extra,
});

const inference = (name: string, description: string, params: DefenseParameter[], extra: Partial<DefenseInfo> = {}): DefenseInfo => ({
  name,
  kind: 'inference',
  description,
  params,
  ...extra,
});

export const DEFENSE_CATALOG: readonly DefenseInfo[] = [
  training('l2', 'Retrain with L2 weight decay.', [
    { name: 'weight', type: 'number', default: 0.001, exclusiveMinimum: 0, maximum: 10, description: 'Weight-decay coefficient added to the loss as weight * sum of squared weights.' },
  ]),
  training('dropout', 'Retrain with dropout before every Dense/convolutional layer but the first.', [
    { name: 'rate', type: 'number', default: 0.5, exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Fraction of units dropped during training.' },
  ]),
  training('early-stopping', 'Retrain and stop when the loss on a validation split of the members stops improving; the best weights are kept.', [
    { name: 'patience', type: 'integer', default: 3, minimum: 1, maximum: 1000, description: 'Epochs without improvement before training stops.' },
    { name: 'validationFraction', type: 'number', default: 0.2, exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Share of the members held out for validation.' },
  ]),
  training('label-smoothing', 'Retrain on smoothed labels (1 - epsilon on the true class).', [
    { name: 'epsilon', type: 'number', default: 0.1, exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Label mass spread over all classes.' },
  ]),
  training('relaxloss', 'RelaxLoss (Chen et al. 2022): descend while the loss is above a target level; below it, ascend (even epochs) or flatten the non-target posteriors (odd epochs).', [
    { name: 'alpha', type: 'number', default: 0.5, exclusiveMinimum: 0, maximum: 10, description: 'Target training-loss level; larger keeps members further from zero loss.' },
  ]),
  training('dp-sgd', 'DP-SGD (Abadi et al. 2016): per-example gradient clipping, Gaussian noise, Poisson sampling; epsilon from the RDP accountant.', [
    { name: 'noiseMultiplier', type: 'number', default: 1.1, exclusiveMinimum: 0, maximum: 1000, description: 'Noise standard deviation divided by the clip norm (sigma).' },
    { name: 'clipNorm', type: 'number', default: 1, exclusiveMinimum: 0, maximum: 1000, description: 'L2 norm every per-example gradient is clipped to.' },
    { name: 'delta', type: 'number', default: 0.00001, exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Delta the accounted epsilon is reported at; keep it below 1 / members.' },
  ]),
  training('neuguard', 'NeuGuard-style training: cross-entropy plus a term aligning member outputs with outputs on defender reference records.', [
    { name: 'weight', type: 'number', default: 1, exclusiveMinimum: 0, maximum: 100, description: 'Weight of the alignment term.' },
  ], { needsReference: true }),
  training('ensemble', 'The deep-ensemble defense: models trained on disjoint shares of the members, outputs averaged.', [
    { name: 'members', type: 'integer', default: 4, minimum: 2, maximum: 64, description: 'Number of models, each trained on 1/members of the training records.' },
  ]),
  training('kl-pruning', 'Magnitude-prune the trained target, then fine-tune with a KL term pulling member predictions toward reference predictions.', [
    { name: 'sparsity', type: 'number', default: 0.5, minimum: 0, exclusiveMaximum: 1, description: 'Share of weights set to zero.' },
    { name: 'weight', type: 'number', default: 1, minimum: 0, maximum: 100, description: 'Weight of the KL term.' },
  ], { needsReference: true }),
  inference('top-k', 'Serve only the k largest probabilities, renormalised.', [
    { name: 'k', type: 'integer', default: 1, minimum: 1, maximum: 100000, description: 'Probabilities kept per output (at most the number of classes).' },
  ]),
  inference('rounding', 'Round every served probability to a few decimals.', [
    { name: 'decimals', type: 'integer', default: 1, minimum: 0, maximum: 15, description: 'Decimal places kept.' },
  ]),
  inference('labels-only', 'Serve only the predicted label (a one-hot vector).', []),
  inference('reverse-sigmoid', 'Reverse-sigmoid perturbation (Lee et al. 2019) of the served probabilities; the label is kept.', [
    { name: 'beta', type: 'number', default: 0.5, exclusiveMinimum: 0, maximum: 100, description: 'Perturbation magnitude.' },
    { name: 'gamma', type: 'number', default: 2, exclusiveMinimum: 0, maximum: 100, description: 'Sigmoid steepness; gamma >= 1 with beta * gamma <= 1 keeps the class order.' },
  ]),
  inference('memguard', 'MemGuard (Jia et al. 2019): adversarial noise against the defender\'s own membership classifier, label kept, within an L1 budget.', [
    { name: 'epsilon', type: 'number', default: 1, exclusiveMinimum: 0, maximum: 2, description: 'Expected L1 distortion budget per served output.' },
    { name: 'seed', type: 'integer', default: 0, minimum: 0, description: 'Seed of the defender\'s classifier and of the noise draws.' },
  ], { needsReference: true }),
  inference('purifier', 'PURIFIER-style confidence reshaping (Yang et al.): a small model fitted on reference outputs maps every served confidence vector to a non-member-like one; the label is kept.', [
    { name: 'hiddenUnits', type: 'integer', default: 4, minimum: 1, maximum: 256, description: 'Width of the reshaping model\'s bottleneck layer.' },
    { name: 'seed', type: 'integer', default: 0, minimum: 0, description: 'Seed of the reshaping model.' },
  ], { needsReference: true }),
  inference('gaussian-noise', 'Gaussian noise on the served log-probabilities (the label can change).', [
    { name: 'sigma', type: 'number', default: 1, minimum: 0, maximum: 100, description: 'Standard deviation of the noise added to each log-probability.' },
    { name: 'seed', type: 'integer', default: 0, minimum: 0, description: 'Seed of the noise, so audits reproduce.' },
  ]),
];

export function defenseInfo(name: string): DefenseInfo | undefined {
  return DEFENSE_CATALOG.find((d) => d.name === name);
}

export function knownDefenses(): string[] {
  return DEFENSE_CATALOG.map((d) => d.name);
}

/** Defaults of a defense's own parameters (not the retraining settings). */
export function defenseDefaults(info: DefenseInfo): Record<string, number> {
  return Object.fromEntries(info.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default!]));
}
