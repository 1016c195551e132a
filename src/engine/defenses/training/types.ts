/**
 * The contract between defense evaluation (audit/defense-evaluation.ts) and defended training
 * (defenses/training/*): retrain the target's architecture on the audit's members with a
 * training-time defense, and hand back a Classifier the attacks can query.
 */
import type { Dataset } from '../../artifacts/dataset';
import type { Classifier } from '../../artifacts/models';
import type { DefendExecutor } from './defend-pool';

/** Training-time defenses, by manifest name. */
export type TrainingDefenseName =
  | 'none'
  | 'l2'
  | 'dropout'
  | 'early-stopping'
  | 'label-smoothing'
  | 'relaxloss'
  | 'dp-sgd'
  | 'neuguard'
  | 'ensemble'
  | 'kl-pruning';

/** Settings common to every retraining; defaults come from the audit's shadow settings. */
export interface RetrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'adam' | 'sgd';
  seed: number;
}

/** One training-time defense with its own settings (validated by the manifest layer). */
export interface TrainingDefenseSpec {
  name: TrainingDefenseName;
  /** Defense-specific settings, e.g. { noiseMultiplier: 1.1, clipNorm: 1, delta: 1e-5 } for dp-sgd. */
  params: Record<string, number>;
  train: RetrainSettings;
}

export interface DefendedTrainingRequest {
  /** model.json (or other format) whose architecture is retrained from fresh weights. */
  architectureFile: string;
  /** The target's trained weights are needed by defenses that start from it (kl-pruning). */
  targetModelFile: string;
  members: Dataset;
  /** Defender-side reference records (population), needed by neuguard and kl-pruning; never the audit's non-members. */
  reference?: Dataset;
  numClasses: number;
  defense: TrainingDefenseSpec;
  /** Cache folder for trained defended models (content-addressed like shadows). */
  cacheDir: string;
  /** Worker threads to train on; 0 trains in the calling thread. Default: one per core, at most one per model. */
  workers?: number;
  /** The manifest the defense came from, named in InputErrors about its params (else the architecture file). */
  manifestFile?: string;
  /** Trains the models elsewhere (a queue's workers, docs/distributed.md); default: `workers` local threads. */
  executor?: DefendExecutor;
}

export interface DefendedModel {
  classifier: Classifier;
  /** DP-SGD only: what the RDP accountant says the run spent. */
  dp?: { epsilon: number; epsilonImproved?: number; delta: number; noiseMultiplier: number; samplingRate: number; steps: number; order: number };
  fromCache: boolean;
  /** Training examples per second (0 when cached). */
  samplesPerSecond: number;
  /** Training examples processed, over all models (0 when cached). */
  samples?: number;
  /** Notes for the report, e.g. "per-example gradients computed in a loop: Conv2D". */
  notes: string[];
}

export interface DefendedTrainingHooks {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export type TrainDefendedModel = (req: DefendedTrainingRequest, hooks?: DefendedTrainingHooks) => Promise<DefendedModel>;
