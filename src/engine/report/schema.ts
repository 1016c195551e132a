/**
 * The versioned audit result: what the CLI writes as JSON, what the server sends to the
 * extension, and what every other report format is rendered from.
 */
import type { RuleName, Severity } from '../../shared/rules';
import type { AttackMetrics, OperatingPoint } from '../metrics/types';

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
  /** Empirical DP lower bound implied by this attack's ROC at the audit's delta (95% confidence). */
  epsilonLowerBound?: { epsilon: number; delta: number };
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
  durationMs: number;
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
