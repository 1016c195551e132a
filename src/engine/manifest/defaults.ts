/** What an audit gets for the parts the manifest leaves out. */
import type { Severity } from '../../shared/rules';
import type { PolicyRule, ShadowSpec } from './types';

/** The file name the extension and CLI look for. */
export const MANIFEST_FILE_NAME = 'privacy-audit.json';

/**
 * TPR at 0.1% FPR above 1% means more than one in a hundred training records can be
 * identified with near certainty (high); AUC above 0.6 is clear average-case leakage (medium).
 */
export const DEFAULT_POLICY: readonly Readonly<PolicyRule>[] = [
  { metric: 'tprAtFpr', fpr: 0.001, max: 0.01, severity: 'high' },
  { metric: 'auc', max: 0.6, severity: 'medium' },
];

/** Severity of a policy rule that names none (the schema's default). */
export const DEFAULT_RULE_SEVERITY: Severity = 'high';

/** Shadow training defaults: 16 shadows is the smallest count LiRA's per-record variance works with. */
export const DEFAULT_SHADOW: ShadowSpec = {
  count: 16,
  epochs: 30,
  batchSize: 64,
  learningRate: 0.001,
  optimizer: 'adam',
  seed: 0,
  queries: ['identity'],
};

/**
 * Shadow models trained when the attack list is the default one (population present):
 * enough for RMIA and fixed-variance LiRA to beat threshold attacks at low FPR, few
 * enough that a first strong verdict costs seconds to a minute. `shadow.count` (or the
 * CLI's --shadows and the modelPrivacy.shadowModels setting) changes it.
 */
export const DEFAULT_REFERENCE_SHADOW_COUNT = 8;
