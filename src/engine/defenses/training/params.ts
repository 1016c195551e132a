/**
 * Checks a training-defense spec before any training starts: every param a defense
 * reads must be present, finite and in range, and the retraining settings sane. A bad
 * value is the user's (manifest) error, so it is an InputError naming the field.
 */
import { InputError, type SourceLocation } from '../../errors';
import type { TrainingDefenseName, TrainingDefenseSpec } from './types';

interface ParamRule {
  /** Inclusive lower bound unless `exclusiveMin`. */
  min: number;
  max: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  integer?: boolean;
}

const RULES: Record<TrainingDefenseName, Record<string, ParamRule>> = {
  'none': {},
  'l2': { weight: { min: 0, max: Infinity, exclusiveMin: true } },
  'dropout': { rate: { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true } },
  'early-stopping': {
    patience: { min: 1, max: 1e6, integer: true },
    validationFraction: { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
  },
  'label-smoothing': { epsilon: { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true } },
  'relaxloss': { alpha: { min: 0, max: Infinity, exclusiveMin: true } },
  'dp-sgd': {
    noiseMultiplier: { min: 0, max: 1e6, exclusiveMin: true },
    clipNorm: { min: 0, max: Infinity, exclusiveMin: true },
    delta: { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
  },
  'neuguard': { weight: { min: 0, max: Infinity, exclusiveMin: true } },
  'ensemble': { members: { min: 2, max: 64, integer: true } },
  'kl-pruning': {
    sparsity: { min: 0, max: 1, exclusiveMax: true },
    weight: { min: 0, max: Infinity },
  },
};

/** Defenses that train against defender-side reference records. */
export const NEEDS_REFERENCE: ReadonlySet<TrainingDefenseName> = new Set(['neuguard', 'kl-pruning']);

export function checkDefenseSpec(spec: TrainingDefenseSpec, where: SourceLocation): void {
  const rules = RULES[spec.name];
  if (rules === undefined) {
    throw new InputError(`unknown training defense "${String(spec.name)}"; expected one of ${Object.keys(RULES).join(', ')}`, { ...where, field: 'defense.name' });
  }
  for (const [key, rule] of Object.entries(rules)) {
    const value = spec.params[key];
    const field = `defense.${spec.name}.params.${key}`;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InputError(`"${key}" must be a finite number (got ${JSON.stringify(value)})`, { ...where, field });
    }
    const low = rule.exclusiveMin ? value <= rule.min : value < rule.min;
    const high = rule.exclusiveMax ? value >= rule.max : value > rule.max;
    if (low || high || (rule.integer && !Number.isInteger(value))) {
      const range = `${rule.exclusiveMin ? '(' : '['}${rule.min}, ${rule.max}${rule.exclusiveMax ? ')' : ']'}`;
      throw new InputError(`"${key}" must be ${rule.integer ? 'an integer ' : ''}in ${range}, got ${value}`, { ...where, field });
    }
  }
  const t = spec.train;
  const positiveInt = (key: 'epochs' | 'batchSize', value: number): void => {
    if (!Number.isInteger(value) || value < 1 || value > 1e7) {
      throw new InputError(`"${key}" must be a positive integer, got ${value}`, { ...where, field: `defense.${spec.name}.train.${key}` });
    }
  };
  positiveInt('epochs', t.epochs);
  positiveInt('batchSize', t.batchSize);
  if (!(t.learningRate > 0) || !Number.isFinite(t.learningRate)) {
    throw new InputError(`"learningRate" must be a finite number > 0, got ${t.learningRate}`, { ...where, field: `defense.${spec.name}.train.learningRate` });
  }
  if (t.optimizer !== 'adam' && t.optimizer !== 'sgd') {
    throw new InputError(`"optimizer" must be "adam" or "sgd", got ${JSON.stringify(t.optimizer)}`, { ...where, field: `defense.${spec.name}.train.optimizer` });
  }
  if (!Number.isInteger(t.seed)) {
    throw new InputError(`"seed" must be an integer, got ${t.seed}`, { ...where, field: `defense.${spec.name}.train.seed` });
  }
}

/** A param checkDefenseSpec has validated. */
export function param(spec: TrainingDefenseSpec, key: string): number {
  const value = spec.params[key];
  if (typeof value !== 'number') throw new Error(`defense ${spec.name} has no param ${key} (checkDefenseSpec not run?)`);
  return value;
}
