/**
 * The optimiser shadows train with: the target's own (model.json trainingConfig) when
 * it names Adam or plain SGD, else the audit's shadow settings. Shadows should be
 * trained like the target; the settings are the fallback for models saved without a
 * training config.
 */
import { isObject } from './architecture';

export interface OptimizerSpec {
  kind: 'adam' | 'sgd';
  learningRate: number;
  beta1: number;
  beta2: number;
  /** tfjs's default for Adam is the backend epsilon, 1e-7 for float32. */
  epsilon: number;
  source: 'trainingConfig' | 'settings';
}

const TFJS_EPSILON = 1e-7;

export function resolveOptimizer(
  trainingConfig: Record<string, unknown> | undefined,
  settings: { optimizer: 'adam' | 'sgd'; learningRate: number },
): OptimizerSpec {
  const fromConfig = trainingConfig !== undefined ? fromTrainingConfig(trainingConfig) : undefined;
  if (fromConfig !== undefined) return fromConfig;
  return { kind: settings.optimizer, learningRate: settings.learningRate, beta1: 0.9, beta2: 0.999, epsilon: TFJS_EPSILON, source: 'settings' };
}

/** Reads tfjs-style ({learningRate, beta1}) and Keras-style ({learning_rate, beta_1}) configs. */
function fromTrainingConfig(training: Record<string, unknown>): OptimizerSpec | undefined {
  const optimizer = training.optimizer_config ?? training.optimizerConfig;
  if (!isObject(optimizer) || typeof optimizer.class_name !== 'string') return undefined;
  const config = isObject(optimizer.config) ? optimizer.config : {};
  const num = (...keys: string[]): number | undefined => {
    for (const key of keys) {
      const v = config[key];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
    }
    return undefined;
  };
  const learningRate = num('learningRate', 'learning_rate', 'lr');
  if (learningRate === undefined || learningRate <= 0) return undefined;
  const name = optimizer.class_name.toLowerCase();
  if (name === 'adam') {
    return {
      kind: 'adam',
      learningRate,
      beta1: num('beta1', 'beta_1') ?? 0.9,
      beta2: num('beta2', 'beta_2') ?? 0.999,
      epsilon: num('epsilon') ?? TFJS_EPSILON,
      source: 'trainingConfig',
    };
  }
  // SGD with momentum or Nesterov is another optimiser; fall back to the settings then.
  if (name === 'sgd' && !(num('momentum') ?? 0) && config.nesterov !== true) {
    return { kind: 'sgd', learningRate, beta1: 0.9, beta2: 0.999, epsilon: TFJS_EPSILON, source: 'trainingConfig' };
  }
  return undefined;
}
