/**
 * The audit manifest (privacy-audit.json) after parsing and validation: every path is
 * absolute and every default is filled, so the audit code never looks at raw JSON.
 */
import type { DatasetSpec } from '../artifacts/dataset';
import type { TextRange } from '../report/schema';
import type { Severity } from '../../shared/rules';

export type PolicyMetric = 'auc' | 'tprAtFpr' | 'advantage';

/** A limit on one metric; an attack above `max` becomes a finding of `severity`. */
export interface PolicyRule {
  metric: PolicyMetric;
  /** Only for tprAtFpr: the false-positive rate TPR is read at. */
  fpr?: number;
  max: number;
  severity: Severity;
}

export interface PrivacyClaim {
  claimedEpsilon: number;
  delta: number;
}

/** Shadow-model training settings, defaults filled (see the schema's "shadow"). */
export interface ShadowSpec {
  count: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'adam' | 'sgd';
  seed: number;
  /** Absent: the number of members. */
  trainSize?: number;
  queries: ('identity' | 'mirror' | 'shift')[];
  /** Absolute path of the model file whose architecture shadows copy; absent: the target's. */
  architecture?: string;
}

/** One defense with its settings, defaults filled (see the schema's "defenseConfig" and manifest/defense-catalog.ts). */
export interface DefenseSpec {
  name: string;
  kind: 'training' | 'inference';
  /** The defense's own parameters, defaults filled; retraining settings are in `train`. */
  params: Record<string, number>;
  /** Training-time only: epochs, batchSize, learningRate (the audit's shadow settings unless overridden), optimizer, seed. */
  train?: { epochs: number; batchSize: number; learningRate: number; optimizer: 'adam' | 'sgd'; seed: number };
  /** The configuration as written (name first), defaults filled: reports show it, a quick fix pastes it. */
  config: Record<string, unknown>;
  /** Where it sits in the manifest, for ranges. */
  path: JsonPath;
}

export interface DefensesSpec {
  /** Attacks run against every defense: the manifest's list, or the audit's attacks that need no shadow models. */
  attacks: string[];
  evaluate: DefenseSpec[];
}

export interface AuditSpec {
  name: string;
  /** Absolute path of the model file; for an ensemble, its first model (shadow architecture, finding anchor). */
  model: string;
  /** Manifest "model" as a list: absolute paths of the ensemble's models, whose probabilities are averaged. */
  ensemble?: string[];
  /** Dataset paths are absolute; the audit's label, preprocess (mean/std files absolute too) and layout are folded in. */
  members: DatasetSpec;
  nonMembers: DatasetSpec;
  population?: DatasetSpec;
  /** Attack ids, known to the catalog; defaultAttacks(population present) when the manifest lists none. */
  attacks: string[];
  /** True when the manifest lists no attacks (the defaults, which depend on the data, were chosen). */
  attacksDefaulted?: boolean;
  /** DEFAULT_POLICY when the manifest has no policy. */
  policy: PolicyRule[];
  privacy?: PrivacyClaim;
  shadow: ShadowSpec;
  /** Defenses to evaluate side by side (manifest "defenses"). */
  defenses?: DefensesSpec;
  /** The defense the model is served or trained with (manifest "defense"): the audit checks the defended model. */
  defense?: DefenseSpec;
  /** Position in the manifest's "audits" array, for ranges: ['audits', index, ...]. */
  index: number;
}

export interface Manifest {
  /** Absolute path of the manifest file. */
  file: string;
  /** Folder the manifest's relative paths are resolved against. */
  dir: string;
  audits: AuditSpec[];
}

/** A JSON path into the manifest: property names and array indices. */
export type JsonPath = (string | number)[];

export interface ManifestProblem {
  /** Says what was expected and what was found. */
  message: string;
  range: TextRange;
  severity: 'error' | 'warning';
  /**
   * What the problem is about: the offending value's path, the unknown property's path,
   * or for a missing property the path it should have (parent path + its name).
   */
  path: JsonPath;
}
