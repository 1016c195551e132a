/**
 * Raw manifest JSON that passed validation -> Manifest: absolute paths, defaults filled,
 * the audit-level label and preprocess folded into every dataset.
 */
import * as path from 'node:path';
import type { DatasetSpec } from '../artifacts/dataset';
import { defaultAttacks } from '../attacks/catalog';
import type { Severity } from '../../shared/rules';
import { buildDefenseSpec, defaultDefenseAttacks, type RawDefenseConfig } from './defense-config';
import { DEFAULT_POLICY, DEFAULT_REFERENCE_SHADOW_COUNT, DEFAULT_RULE_SEVERITY, DEFAULT_SHADOW } from './defaults';
import type { AuditSpec, Manifest, PolicyMetric, PolicyRule, ShadowSpec } from './types';

/** The manifest's shape as the schema guarantees it. */
interface RawDatasetObject {
  path: string;
  format?: DatasetSpec['format'];
  label?: string | number;
  labelsPath?: string;
  featuresKey?: string;
  labelsKey?: string;
}
type RawDataset = string | RawDatasetObject;

interface RawAudit {
  name: string;
  /** A path, or a list of paths: an ensemble. */
  model: string | string[];
  members: RawDataset;
  nonMembers: RawDataset;
  population?: RawDataset;
  label?: string | number;
  preprocess?: { scale?: number; offset?: number; mean?: number | number[] | string; std?: number | number[] | string };
  layout?: 'nhwc' | 'nchw';
  attacks?: string[];
  policy?: { rules: { metric: PolicyMetric; fpr?: number; max: number; severity?: Severity }[] };
  privacy?: { claimedEpsilon: number; delta: number };
  shadow?: Partial<ShadowSpec>;
  defenses?: { attacks?: string[]; evaluate: RawDefenseConfig[] };
  defense?: RawDefenseConfig;
}

export interface RawManifest {
  version: 1;
  audits: RawAudit[];
}

/** `raw` must have passed schema and semantic validation without errors. */
export function buildManifest(raw: RawManifest, file: string): Manifest {
  const absoluteFile = path.resolve(file);
  const dir = path.dirname(absoluteFile);
  return { file: absoluteFile, dir, audits: raw.audits.map((audit, index) => buildAudit(audit, index, dir)) };
}

function buildAudit(raw: RawAudit, index: number, dir: string): AuditSpec {
  const dataset = (d: RawDataset) => buildDataset(d, raw, dir);
  const audit: AuditSpec = {
    name: raw.name,
    model: path.resolve(dir, Array.isArray(raw.model) ? raw.model[0] : raw.model),
    members: dataset(raw.members),
    nonMembers: dataset(raw.nonMembers),
    attacks: raw.attacks ? [...raw.attacks] : defaultAttacks(raw.population !== undefined),
    policy: raw.policy ? raw.policy.rules.map(buildRule) : DEFAULT_POLICY.map((r) => ({ ...r })),
    shadow: {
      ...DEFAULT_SHADOW,
      // The default (strong) attack list trains fewer shadows than an explicit LiRA audit.
      ...(raw.attacks ? {} : { count: DEFAULT_REFERENCE_SHADOW_COUNT }),
      ...raw.shadow,
      queries: [...(raw.shadow?.queries ?? DEFAULT_SHADOW.queries)],
    },
    index,
  };
  if (!raw.attacks) audit.attacksDefaulted = true;
  if (raw.shadow?.architecture !== undefined) audit.shadow.architecture = path.resolve(dir, raw.shadow.architecture);
  if (Array.isArray(raw.model)) audit.ensemble = raw.model.map((m) => path.resolve(dir, m));
  if (raw.population !== undefined) audit.population = dataset(raw.population);
  if (raw.privacy) audit.privacy = { claimedEpsilon: raw.privacy.claimedEpsilon, delta: raw.privacy.delta };
  if (raw.defenses) {
    audit.defenses = {
      attacks: [...(raw.defenses.attacks ?? defaultDefenseAttacks(audit.attacks))],
      evaluate: raw.defenses.evaluate.map((d, j) => buildDefenseSpec(d, audit.shadow, ['audits', index, 'defenses', 'evaluate', j])),
    };
  }
  if (raw.defense) audit.defense = buildDefenseSpec(raw.defense, audit.shadow, ['audits', index, 'defense']);
  return audit;
}

function buildDataset(raw: RawDataset, audit: RawAudit, dir: string): DatasetSpec {
  const given: RawDatasetObject = typeof raw === 'string' ? { path: raw } : raw;
  // Only keys that have a value: consumers and tests compare specs structurally.
  const spec: DatasetSpec = { path: path.resolve(dir, given.path) };
  if (given.format !== undefined) spec.format = given.format;
  const label = given.label ?? audit.label;
  if (label !== undefined) spec.label = label;
  if (given.labelsPath !== undefined) spec.labelsPath = path.resolve(dir, given.labelsPath);
  if (given.featuresKey !== undefined) spec.featuresKey = given.featuresKey;
  if (given.labelsKey !== undefined) spec.labelsKey = given.labelsKey;
  if (audit.preprocess?.scale !== undefined) spec.scale = audit.preprocess.scale;
  if (audit.preprocess?.offset !== undefined) spec.offset = audit.preprocess.offset;
  // An NPY file of means or deviations is relative to the manifest, like every path.
  const stats = (v: number | number[] | string) => (typeof v === 'string' ? path.resolve(dir, v) : Array.isArray(v) ? [...v] : v);
  if (audit.preprocess?.mean !== undefined) spec.mean = stats(audit.preprocess.mean);
  if (audit.preprocess?.std !== undefined) spec.std = stats(audit.preprocess.std);
  if (audit.layout !== undefined) spec.layout = audit.layout;
  return spec;
}

function buildRule(raw: { metric: PolicyMetric; fpr?: number; max: number; severity?: Severity }): PolicyRule {
  const rule: PolicyRule = { metric: raw.metric, max: raw.max, severity: raw.severity ?? DEFAULT_RULE_SEVERITY };
  // fpr only means something for tprAtFpr (a warning says so for the others).
  if (raw.metric === 'tprAtFpr' && raw.fpr !== undefined) rule.fpr = raw.fpr;
  return rule;
}
