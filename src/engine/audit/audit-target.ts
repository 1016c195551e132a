/**
 * The engine's front door: audit a manifest file, or a folder (its manifest, or one
 * proposed from what is detected there). Returns the complete report; problems in the
 * user's files become findings, never exceptions (except cancellation).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend, type BackendPreference } from '../backend';
import { DefenseSettingError } from '../defenses/apply';
import { InputError, isInputError } from '../errors';
import { readRegularFileSync, withReadPolicy } from '../artifacts/safe-files';
import { findManifests, parseManifest, proposeManifest, type AuditSpec, type Manifest, type ManifestRanges } from '../manifest';
import { REPORT_SCHEMA_VERSION, type AuditReport, type Finding } from '../report/schema';
import { findingsForAudit, plausibilityFinding, type FindingContext } from './findings';
import { ImplausibleInputError } from './plausibility';
import { AuditSettingError } from '../artifacts/datasets/preprocess';
import type { AuditHooks } from './progress';
import { relativeTo, runAudit, type AuditRun } from './run-audit';
import { TOOL_VERSION } from './version';
import { isUnsupportedLayerError } from '../artifacts/models/keras-config';
import { RULES, type RuleName } from '../../shared/rules';

/** Keras layer classes that hold serialised Python code. */
const LAMBDA_CLASSES = new Set(['Lambda', 'TFOpLambda', 'SlicingOpLambda']);

export interface AuditOptions extends AuditHooks, Containment {
  backend?: BackendPreference;
  /** Run only the audits with these names. */
  only?: string[];
  /** Replace every audit's attack list (e.g. the extension's sweep setting). */
  attacks?: string[];
  /** Shadow-model cache folder; default `.privacy-lint-cache/shadows` beside the manifest. */
  cacheDir?: string;
  /** Shadow-training worker threads; 0 = one per core. */
  workers?: number;
  /** Redis URL (redis://HOST:PORT): enqueue shadow training for `privacy-lint worker`s instead of training locally. */
  queueUrl?: string;
  /** Replace every audit's shadow-model count (CLI --shadows, the modelPrivacy.shadowModels setting). */
  shadowCount?: number;
  /**
   * A report of one audit's preliminary result (threshold attacks, findings included),
   * sent while its slower attacks still run; the audit's final result replaces it.
   */
  onAuditPreliminary?: (report: AuditReport) => void;
}

export interface ResolvedManifest {
  manifest?: Manifest;
  /** Present when the manifest came from a file. */
  file?: string;
  ranges?: ManifestRanges;
  root: string;
  /** Problems that stop the audit: manifest errors, nothing to audit. */
  findings: Finding[];
  /** True when no manifest file existed and one was proposed from detection. */
  proposed: boolean;
}

/** Finds and parses the manifest for a path, or proposes one for a folder without it. */
export function resolveManifest(target: string, containment: Containment = {}): ResolvedManifest {
  const abs = path.resolve(target);
  if (!fs.existsSync(abs)) throw new InputError('no such file or folder', { file: target });
  let file: string | undefined;
  if (fs.statSync(abs).isDirectory()) {
    const found = findManifests(abs);
    if (found.length === 0) {
      const proposal = proposeManifest(abs);
      if (proposal.audits === 0) {
        throw new InputError('no privacy-audit.json here, and no TF.js model.json with member/non-member data beside it was detected', { file: target });
      }
      const virtual = path.join(abs, 'privacy-audit.json');
      const parsed = parseManifest(proposal.text, virtual, { fileExists: (p) => fs.existsSync(p), ...containment });
      return { manifest: parsed.manifest, root: abs, findings: problemFindings(parsed.problems, abs, virtual), proposed: true };
    }
    file = found[0];
  } else {
    file = abs;
  }
  const text = readRegularFileSync(file, { maxBytes: MAX_MANIFEST_BYTES, what: 'manifest', policy: { root: path.dirname(file), allowOutside: true } }).toString('utf8');
  const parsed = parseManifest(text, file, containment);
  const root = path.dirname(file);
  return { manifest: parsed.manifest, file, ranges: parsed.ranges, root, findings: problemFindings(parsed.problems, root, file), proposed: false };
}

function problemFindings(problems: ReturnType<typeof parseManifest>['problems'], root: string, file: string): Finding[] {
  return problems.map((p) => ({
    rule: 'invalid-input',
    severity: p.severity === 'error' ? 'high' : 'low',
    message: p.message,
    location: { file: relativeTo(root, file), range: p.range },
    related: [],
  }));
}

export async function auditTarget(target: string, options: AuditOptions = {}): Promise<AuditReport> {
  const resolved = resolveManifest(target, options);
  return auditResolved(resolved, options);
}

/** Where an audit's files may be: inside the workspace root unless the user allowed more (safe-files.ts). */
export interface Containment {
  /** Default: the manifest's folder. */
  workspaceRoot?: string;
  /** Only from the user (CLI --allow-outside-workspace, machine setting modelPrivacy.allowOutsideWorkspace). */
  allowOutsideWorkspace?: boolean;
}

/** Largest manifest read; real ones are a few KB. */
const MAX_MANIFEST_BYTES = 16 * 1024 ** 2;

/** Every file the audit opens is checked again at open time against the same root. */
export async function auditResolved(resolved: ResolvedManifest, options: AuditOptions = {}): Promise<AuditReport> {
  // The cache folder the caller chose (CLI flag, extension storage) holds the engine's own files: readable too.
  const policy = { root: options.workspaceRoot ?? resolved.root, allowOutside: options.allowOutsideWorkspace === true, trusted: options.cacheDir ? [options.cacheDir] : [] };
  return withReadPolicy(policy, () => auditConfined(resolved, options));
}

async function auditConfined(resolved: ResolvedManifest, options: AuditOptions): Promise<AuditReport> {
  const backend = await initBackend(options.backend ?? 'auto');
  const report: AuditReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'privacy-lint', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    backend: backend.name,
    manifest: resolved.file ? relativeTo(resolved.root, resolved.file) : undefined,
    root: resolved.root,
    audits: [],
    findings: [...resolved.findings],
  };
  if (!resolved.manifest) return report;
  const ctx: FindingContext = { manifestFile: resolved.file, ranges: resolved.ranges, root: resolved.root };
  const specs = resolved.manifest.audits
    .filter((a) => !options.only || options.only.includes(a.name))
    .map((a) => (options.attacks ? { ...a, attacks: options.attacks } : a))
    .map((a) => (options.shadowCount !== undefined ? { ...a, shadow: { ...a.shadow, count: options.shadowCount } } : a));
  for (const spec of specs) {
    // The threshold attacks' result, kept so that a later attack's input error loses nothing that finished.
    let preliminary: AuditRun | undefined;
    try {
      const hooks = {
        ...options,
        onPreliminary: (run: AuditRun) => {
          preliminary = run;
          options.onPreliminary?.(run);
          options.onAuditPreliminary?.({ ...report, audits: [run.result], findings: [...resolved.findings, ...findingsForAudit(run, spec, ctx)] });
        },
      };
      const run = await runAudit(spec, resolved.root, hooks, { cacheDir: options.cacheDir, workers: options.workers, queueUrl: options.queueUrl, manifestFile: resolved.file });
      report.audits.push(run.result);
      report.findings.push(...findingsForAudit(run, spec, ctx));
      options.onAuditDone?.(run.result);
    } catch (e) {
      if (!isInputError(e)) throw e;
      if (preliminary) {
        // The slower attacks stopped on an input error: report what the threshold attacks found, said to rest on them alone.
        const partial = preliminary.result;
        partial.basis = { ...partial.basis!, thresholdOnly: true, reason: 'failed' };
        delete partial.basis.pending;
        delete partial.preliminary;
        report.audits.push(partial);
        report.findings.push(...findingsForAudit(preliminary, spec, ctx));
      }
      // Implausible inputs: the check that stopped the audit, with the other checks' findings.
      if (e instanceof ImplausibleInputError) report.findings.push(...[e.check, ...e.others].map((c) => plausibilityFinding(c, spec, ctx)));
      else report.findings.push(inputErrorFinding(e, spec, ctx));
    }
  }
  return report;
}

/** Puts a data or model error on the manifest key that named the file, with the file's own position in the message. */
function inputErrorFinding(e: InputError, spec: AuditSpec, ctx: FindingContext): Finding {
  if (e instanceof DefenseSettingError && ctx.manifestFile) {
    // A defense setting the data rules out: on its key, or on the defense when the key is a default.
    const range = ctx.ranges?.rangeOf(e.manifestPath, 'value') ?? ctx.ranges?.rangeOf(e.manifestPath.slice(0, -1), 'value');
    return { rule: 'invalid-input', severity: 'high', audit: spec.name, message: e.message, location: { file: relativeTo(ctx.root, ctx.manifestFile), range }, related: [] };
  }
  if (e instanceof AuditSettingError && ctx.manifestFile) {
    // A preprocess or layout value that does not fit the records or the model: on that value.
    const range = ctx.ranges?.rangeOf(['audits', spec.index, ...e.auditKey], 'value') ?? ctx.ranges?.rangeOf(['audits', spec.index, e.auditKey[0]], 'value');
    return {
      rule: 'invalid-input', severity: 'high', audit: spec.name, message: e.message,
      location: { file: relativeTo(ctx.root, ctx.manifestFile), range },
      related: [{ file: relativeTo(ctx.root, e.location.file), message: 'the file the value applies to' }],
    };
  }
  const roles: [string, string | undefined][] = [
    ['model', spec.model],
    ['members', spec.members.path],
    ['members', spec.members.labelsPath],
    ['nonMembers', spec.nonMembers.path],
    ['nonMembers', spec.nonMembers.labelsPath],
    ['population', spec.population?.path],
    ['population', spec.population?.labelsPath],
  ];
  const same = (a?: string) => a !== undefined && path.resolve(a) === path.resolve(e.location.file);
  const role = roles.find(([, p]) => same(p))?.[0] ?? 'model';
  // A model of an ensemble: on its entry of the "model" list.
  const member = spec.ensemble?.findIndex((m) => same(m)) ?? -1;
  const range = ctx.ranges?.rangeOf(member >= 0 ? ['audits', spec.index, 'model', member] : ['audits', spec.index, role], 'value');
  const file = ctx.manifestFile ?? e.location.file;
  // A layer the engine cannot rebuild is its own finding: Lambda layers carry code (MPL012).
  const rule: RuleName = isUnsupportedLayerError(e) ? (LAMBDA_CLASSES.has(e.layerClass) ? 'serialized-code' : 'unsupported-layer') : 'invalid-input';
  return {
    rule,
    severity: RULES[rule].defaultSeverity,
    audit: spec.name,
    message: e.message,
    location: { file: relativeTo(ctx.root, file), range },
    related: [{ file: relativeTo(ctx.root, e.location.file), message: 'the file with the problem' }],
  };
}
