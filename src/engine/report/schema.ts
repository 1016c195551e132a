/**
 * The versioned audit result: what the CLI writes as JSON, what the server sends to the
 * extension, and what every other report format is rendered from.
 */
import type { RuleName, Severity } from '../../shared/rules';
import type { AttackMetrics, OperatingPoint, ReportedFpr } from '../metrics/types';

export const REPORT_SCHEMA_VERSION = '1.0.0';

/** Zero-based, like LSP: line/character of start and end, plus UTF-16 string offsets (as jsonc-parser and VS Code count). */
export interface TextRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
  offset: number;
  length: number;
}

export interface FindingLocation {
  /** File the finding is about (manifest, model.json, dataset), relative to the report's root when possible. */
  file: string;
  /** Absent for binary artifacts: the finding is about the whole file. */
  range?: TextRange;
}

export interface Finding {
  rule: RuleName;
  severity: Severity;
  /** Plain words; never contains record contents. */
  message: string;
  /** Name of the audit in the manifest, when the finding belongs to one. */
  audit?: string;
  /** The attack the finding is about, when it belongs to one. */
  attack?: string;
  location: FindingLocation;
  related: { file: string; message: string }[];
  /** Numbers behind the message, for machines (SARIF properties, CodeLens). */
  data?: Record<string, number | string | boolean>;
}

/** One input plausibility check that failed (engine/audit/plausibility.ts). */
export interface InputCheck {
  rule: RuleName;
  /** 'stop': the audit reports this and no attack numbers; 'finding': reported beside them. */
  verdict: 'stop' | 'finding';
  severity: Severity;
  /** The audit's manifest keys the finding belongs on, in order of preference (the first written in the manifest is used). */
  keys: string[];
  message: string;
  data: Record<string, number | string | boolean>;
}

export interface DatasetSummary {
  file: string;
  count: number;
  featureShape: number[];
  /** Records per class, index = class. */
  classCounts: number[];
}

export interface ScoreHistogram {
  /** bins + 1 edges. */
  edges: number[];
  members: number[];
  nonMembers: number[];
}

export interface ClassVulnerability {
  label: number;
  members: number;
  nonMembers: number;
  /** NaN when a side is empty (serialised as null). */
  auc: number | null;
  advantage: number | null;
}

export interface VulnerableRecord {
  /** Index in the members file; never the record's content. */
  index: number;
  score: number;
}

export interface AttackResult {
  /** Attack id as written in the manifest, e.g. "loss-threshold". */
  id: string;
  family: string;
  /** Plain description for reports. */
  title: string;
  metrics: AttackMetrics;
  histogram: ScoreHistogram;
  perClass: ClassVulnerability[];
  mostVulnerable: VulnerableRecord[];
  /** Attacks that set thresholds from population data report where those thresholds land. */
  calibratedPoints?: OperatingPoint[];
  notes?: string[];
  /** Shadow-model attacks whose shadows use a default architecture: why (one fallback-architecture finding says it per audit). */
  architectureFallback?: string;
  /**
   * Empirical DP lower bound of this attack at the audit's delta: threshold chosen on a
   * random half of the records, bound on the other half, at `confidence` (simultaneous
   * 95% over the audit's attacks). A one-run audit (Steinke et al. 2023).
   */
  epsilonLowerBound?: EpsilonBound;
}

export interface EpsilonBound {
  epsilon: number;
  delta: number;
  /** 'split-half' (absent in reports written before it existed, whose bounds over-claim). */
  method?: 'split-half';
  confidence?: number;
}

/** One attack's success against one defended (or the undefended) model. */
export interface DefenseAttackOutcome {
  attack: string;
  auc: number;
  advantage: number;
  /** TPR at 1%, 0.1%, 0.01% FPR with Clopper-Pearson intervals, as in AttackMetrics. */
  tprAtFpr: Record<ReportedFpr, OperatingPoint>;
  epsilonLowerBound?: EpsilonBound;
}

/** A defense and one setting of it, evaluated on the audit's members, non-members and attacks. */
export interface DefenseEvaluation {
  /** Unique within the audit, readable: "dp-sgd noiseMultiplier=1.1 clipNorm=1". "none" for the baseline. */
  id: string;
  /** Defense name from the catalog ("l2", "dp-sgd", "top-k" ...); "none" for the undefended baseline. */
  defense: string;
  kind: 'none' | 'training' | 'inference';
  /** The configuration as written in the manifest (name included), defaults filled: a quick fix pastes it. */
  config: Record<string, unknown>;
  /** Index in the manifest's audits[i].defenses.evaluate, for ranges; absent for the baseline. */
  manifestIndex?: number;
  /** Accuracy on the non-members (unseen records) and on the members. */
  testAccuracy: number;
  trainAccuracy: number;
  attacks: DefenseAttackOutcome[];
  /** Accounted privacy of a DP-SGD run (RDP accountant, Poisson-subsampled Gaussian). */
  /** epsilon: the classic RDP conversion (Mironov 2017); epsilonImproved: the tighter one current DP libraries use (Balle et al. 2020). */
  dp?: { epsilon: number; epsilonImproved?: number; delta: number; noiseMultiplier: number; samplingRate: number; steps: number; order: number };
  /** Worst TPR at the front FPR over the attacks: the y axis of the trade-off chart. */
  worstTpr: number;
  /** On the Pareto front of (testAccuracy up, worstTpr down) among all evaluations and the baseline. */
  paretoOptimal: boolean;
  /** Every attack within the audit's policy. */
  meetsPolicy: boolean;
  errors: { attack: string; message: string }[];
  /** How the defended model came to be: retraining notes (early stopping, per-example loop, default architecture), cache hits. */
  notes?: string[];
  durationMs: number;
}

export interface DefenseComparison {
  /** The FPR the trade-off is read at ("0.001": TPR at 0.1% FPR). */
  frontFpr: ReportedFpr;
  baseline: DefenseEvaluation;
  evaluations: DefenseEvaluation[];
  /** The policy's limit on TPR at frontFpr (the tightest tprAtFpr rule there), when it has one: the chart's policy line. */
  policyMaxTpr?: number;
  /** The Pareto-optimal evaluation that meets the policy with the least accuracy cost, if any. */
  recommendation?: { id: string; accuracyCost: number; worstTpr: number };
}

/** Attack-free risk predictors: Jensen-Shannon distance between member and non-member signal distributions. */
export interface RiskPredictors {
  entropyJsDistance: number;
  crossEntropyJsDistance: number;
}

/** An audit of several models averaged as an ensemble: each member audited alone, and the average. */
export interface EnsembleComparison {
  members: { model: string; testAccuracy: number; worstTpr: number; bestAuc: number }[];
  ensemble: { testAccuracy: number; worstTpr: number; bestAuc: number };
  frontFpr: ReportedFpr;
  /** The averaged ensemble's worst TPR (or best AUC) exceeds every member's. */
  raisedLeakage: boolean;
}

export interface AuditResult {
  name: string;
  model: string;
  members: DatasetSummary;
  nonMembers: DatasetSummary;
  population?: DatasetSummary;
  accuracy: { members: number; nonMembers: number };
  attacks: AttackResult[];
  /** Names of attacks that failed, with the reason (one failure never loses the others). */
  errors: { attack: string; message: string }[];
  /** Defenses evaluated side by side (manifest "defenses"). */
  defenses?: DefenseComparison;
  riskPredictors?: RiskPredictors;
  /** Present when the manifest names several models as an ensemble. */
  ensemble?: EnsembleComparison;
  /** The defense the audited model was wrapped with or retrained with (manifest "defense"). */
  appliedDefense?: Record<string, unknown>;
  /** Input plausibility checks that warn or inform (those that stop an audit become its only finding). */
  plausibility?: InputCheck[];
  /** True for the first answer from the threshold attacks, sent while slower attacks still run. */
  preliminary?: boolean;
  /** Which attacks the verdict rests on (absent in reports written before it existed). */
  basis?: VerdictBasis;
  /** The reference models' fit beside the target's, when shadow-model attacks ran. */
  shadowQuality?: ShadowQuality;
  durationMs: number;
}

export interface VerdictBasis {
  /** Attacks with results. */
  attacks: string[];
  /** Those of them that use reference (shadow) models. */
  referenceAttacks: string[];
  /** How many reference models they used. */
  referenceModels?: number;
  /** No reference-model attack supports the verdict. */
  thresholdOnly: boolean;
  /** Slower attacks still running (a preliminary result). */
  pending?: string[];
  /** Why only threshold attacks ran: no population data, none requested, or they failed. */
  reason?: 'no-population' | 'not-requested' | 'failed';
}

export interface ShadowQuality {
  shadows: number;
  /** Mean over shadows of the accuracy on the audit records each trained on (IN) and did not (OUT). */
  shadowTrainAccuracy: number;
  shadowTestAccuracy: number;
  /** The target's accuracy on members and non-members. */
  targetTrainAccuracy: number;
  targetTestAccuracy: number;
  /** The shadows fit differently enough from the target that the attacks are likely understated. */
  mismatch: boolean;
}

export interface AuditReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'privacy-lint'; version: string };
  createdAt: string;
  /** TensorFlow.js backend that computed the outputs: tensorflow, wasm or cpu. */
  backend: string;
  /** Manifest the audits came from, when there was one. */
  manifest?: string;
  /** Folder that relative paths in the report are relative to. */
  root: string;
  audits: AuditResult[];
  findings: Finding[];
}
