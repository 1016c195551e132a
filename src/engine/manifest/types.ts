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
}

export interface AuditSpec {
  name: string;
  /** Absolute path of the model file. */
  model: string;
  /** Dataset paths are absolute; the audit's label and preprocess are folded in. */
  members: DatasetSpec;
  nonMembers: DatasetSpec;
  population?: DatasetSpec;
  /** Attack ids, known to the catalog; DEFAULT_ATTACKS when the manifest lists none. */
  attacks: string[];
  /** DEFAULT_POLICY when the manifest has no policy. */
  policy: PolicyRule[];
  privacy?: PrivacyClaim;
  shadow: ShadowSpec;
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
