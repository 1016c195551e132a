/**
 * Findings from audit results and the manifest's policy. Each finding sits on the exact
 * manifest key it is about (the attack listed, the policy rule, the dataset) so the editor
 * can squiggle it and SARIF can point at it. Messages carry numbers, never record contents.
 */
import { RULES, SEVERITY_ORDER, type Severity } from '../../shared/rules';
import type { AuditSpec, ManifestRanges, PolicyRule } from '../manifest';
import type { AttackResult, Finding, InputCheck, TextRange } from '../report/schema';
import type { AuditRun } from './run-audit';
import { relativeTo } from './run-audit';
import { classMixDistance, countOverlap } from './record-checks';
import { REPORTED_FPRS } from '../metrics/types';
import { defenseFindings } from './defense-findings';
import { ensembleLeakageFinding } from './ensemble-finding';
import { basisFindings } from './basis-findings';

/** Accuracy on members minus accuracy on non-members above this is a finding. */
export const GENERALIZATION_GAP_LIMIT = 0.1;
/** A class whose AUC exceeds the overall AUC by this much is called out. */
export const VULNERABLE_CLASS_MARGIN = 0.1;
/** Group sizes differing by more than this factor, or class mixes this far apart (total variation). */
export const IMBALANCE_RATIO = 2;
export const CLASS_MIX_LIMIT = 0.2;

export interface FindingContext {
  manifestFile?: string;
  ranges?: ManifestRanges;
  root: string;
}

type Path = (string | number)[];

export function locate(ctx: FindingContext, spec: AuditSpec, candidates: { path: Path; part?: 'key' | 'value' }[]): Finding['location'] {
  if (!ctx.manifestFile) return { file: relativeTo(ctx.root, spec.model) };
  for (const c of candidates) {
    const range = ctx.ranges?.rangeOf(c.path, c.part);
    if (range) return { file: relativeTo(ctx.root, ctx.manifestFile), range };
  }
  return { file: relativeTo(ctx.root, ctx.manifestFile) };
}

/** An input plausibility check as a finding, on the first of its manifest keys the audit writes (else on "model"). */
export function plausibilityFinding(check: InputCheck, spec: AuditSpec, ctx: FindingContext): Finding {
  const rel = (f: string) => relativeTo(ctx.root, f);
  return {
    rule: check.rule,
    severity: check.severity,
    audit: spec.name,
    message: check.message,
    location: locate(ctx, spec, [...check.keys, 'model'].map((key) => ({ path: auditPath(spec, key), part: 'value' as const }))),
    related: [
      { file: rel(spec.model), message: 'the audited model' },
      { file: rel(spec.members.path), message: 'members' },
      { file: rel(spec.nonMembers.path), message: 'non-members' },
    ],
    // stopsAudit: the CLI exits 2, as for any input that cannot be used as given.
    data: { ...check.data, ...(check.verdict === 'stop' ? { stopsAudit: true } : {}) },
  };
}

function auditPath(spec: AuditSpec, ...rest: Path): Path {
  return ['audits', spec.index, ...rest];
}

export function findingsForAudit(run: AuditRun, spec: AuditSpec, ctx: FindingContext): Finding[] {
  const { result } = run;
  const findings: Finding[] = [];
  const rel = (f: string) => relativeTo(ctx.root, f);
  const datasets = [
    { file: rel(spec.members.path), message: `members: ${result.members.count} records` },
    { file: rel(spec.nonMembers.path), message: `non-members: ${result.nonMembers.count} records` },
  ];
  const modelRelated = { file: result.model, message: 'the audited model' };
  const attackLocation = (attack: string) => {
    const i = spec.attacks.indexOf(attack);
    return locate(ctx, spec, [
      { path: auditPath(spec, 'attacks', i), part: 'value' },
      { path: auditPath(spec, 'model'), part: 'key' },
    ]);
  };

  for (const attack of result.attacks) {
    const violations = spec.policy
      .map((rule, r) => ({ rule, r, measured: measure(attack, rule) }))
      .filter((v) => v.measured !== undefined && v.measured > v.rule.max);
    if (violations.length === 0) continue;
    const worst = violations.reduce((a, b) => (SEVERITY_ORDER[b.rule.severity] > SEVERITY_ORDER[a.rule.severity] ? b : a));
    findings.push({
      rule: 'membership-risk',
      severity: worst.rule.severity,
      audit: spec.name,
      attack: attack.id,
      message: `${attack.id}: ${violations.map((v) => describeViolation(attack, v.rule, v.measured!)).join('; ')}. ${headline(attack)}`,
      location: attackLocation(attack.id),
      related: [modelRelated, ...datasets],
      data: metricData(attack),
    });
  }

  for (const [r, rule] of spec.policy.entries()) {
    if (rule.metric !== 'tprAtFpr' || rule.fpr === undefined) continue;
    if (rule.fpr * result.nonMembers.count >= 1) continue;
    findings.push({
      rule: 'unmeasurable-fpr',
      severity: RULES['unmeasurable-fpr'].defaultSeverity,
      audit: spec.name,
      message: `The policy asks about TPR at FPR ${rule.fpr}, but with ${result.nonMembers.count} non-members the smallest measurable FPR is ${fmt(1 / result.nonMembers.count)}; at least ${Math.ceil(1 / rule.fpr)} non-members are needed (${Math.ceil(10 / rule.fpr)} for a stable estimate).`,
      location: locate(ctx, spec, [{ path: auditPath(spec, 'policy', 'rules', r, 'fpr'), part: 'value' }, { path: auditPath(spec, 'nonMembers'), part: 'key' }]),
      related: datasets.slice(1),
      data: { nonMembers: result.nonMembers.count, fpr: rule.fpr },
    });
  }

  const sizeRatio = Math.max(result.members.count, result.nonMembers.count) / Math.max(1, Math.min(result.members.count, result.nonMembers.count));
  const mix = classMixDistance(result.members.classCounts, result.nonMembers.classCounts);
  if (sizeRatio > IMBALANCE_RATIO || mix > CLASS_MIX_LIMIT) {
    findings.push({
      rule: 'membership-imbalance',
      severity: RULES['membership-imbalance'].defaultSeverity,
      audit: spec.name,
      message: `Members (${result.members.count}) and non-members (${result.nonMembers.count}) differ ${sizeRatio > IMBALANCE_RATIO ? `in number by a factor of ${sizeRatio.toFixed(1)}` : ''}${sizeRatio > IMBALANCE_RATIO && mix > CLASS_MIX_LIMIT ? ' and ' : ''}${mix > CLASS_MIX_LIMIT ? `in class mix (total-variation distance ${mix.toFixed(2)})` : ''}.`,
      location: locate(ctx, spec, [{ path: auditPath(spec, 'nonMembers'), part: 'key' }]),
      related: datasets,
      data: { sizeRatio, classMixDistance: mix },
    });
  }

  const overlap = countOverlap(run.members, run.nonMembers);
  if (overlap > 0) {
    findings.push({
      rule: 'member-overlap',
      severity: RULES['member-overlap'].defaultSeverity,
      audit: spec.name,
      message: `${overlap} member record${overlap === 1 ? '' : 's'} also appear${overlap === 1 ? 's' : ''} among the non-members (same features and label); the ground truth contradicts itself for them.`,
      location: locate(ctx, spec, [{ path: auditPath(spec, 'nonMembers'), part: 'key' }]),
      related: datasets,
      data: { overlap },
    });
  }

  const gap = result.accuracy.members - result.accuracy.nonMembers;
  if (gap > GENERALIZATION_GAP_LIMIT) {
    findings.push({
      rule: 'generalization-gap',
      severity: RULES['generalization-gap'].defaultSeverity,
      audit: spec.name,
      message: `Accuracy is ${pct(result.accuracy.members)} on members but ${pct(result.accuracy.nonMembers)} on non-members (gap ${pct(gap)}): the model has memorised its training records.`,
      location: locate(ctx, spec, [{ path: auditPath(spec, 'model'), part: 'key' }]),
      related: [modelRelated, ...datasets],
      data: { membersAccuracy: result.accuracy.members, nonMembersAccuracy: result.accuracy.nonMembers, gap },
    });
  }

  const strongest = [...result.attacks].sort((a, b) => b.metrics.auc - a.metrics.auc)[0];
  if (strongest) {
    const classes = strongest.perClass.filter((c) => c.auc !== null && c.auc >= strongest.metrics.auc + VULNERABLE_CLASS_MARGIN);
    if (classes.length) {
      findings.push({
        rule: 'vulnerable-class',
        severity: RULES['vulnerable-class'].defaultSeverity,
        audit: spec.name,
        attack: strongest.id,
        message: `Under ${strongest.id} (AUC ${strongest.metrics.auc.toFixed(3)} overall), class${classes.length > 1 ? 'es' : ''} ${classes.map((c) => `${c.label} (AUC ${c.auc!.toFixed(3)})`).join(', ')} ${classes.length > 1 ? 'are' : 'is'} markedly more exposed.`,
        location: attackLocation(strongest.id),
        related: datasets,
        data: Object.fromEntries(classes.map((c) => [`class${c.label}Auc`, c.auc!])),
      });
    }
  }

  if (spec.privacy) {
    const best = result.attacks
      .filter((a) => a.epsilonLowerBound)
      .sort((a, b) => b.epsilonLowerBound!.epsilon - a.epsilonLowerBound!.epsilon)[0];
    if (best && best.epsilonLowerBound!.epsilon > spec.privacy.claimedEpsilon) {
      findings.push({
        rule: 'epsilon-claim',
        severity: RULES['epsilon-claim'].defaultSeverity,
        audit: spec.name,
        attack: best.id,
        message: `The manifest claims (epsilon=${spec.privacy.claimedEpsilon}, delta=${spec.privacy.delta})-DP, but ${best.id} shows epsilon >= ${best.epsilonLowerBound!.epsilon.toFixed(2)} with 95% confidence (a one-run audit, Steinke et al. 2023: threshold chosen on a random half of the records, bound on the other half, simultaneous over the attacks).`,
        location: locate(ctx, spec, [{ path: auditPath(spec, 'privacy', 'claimedEpsilon'), part: 'value' }]),
        related: [modelRelated],
        data: { claimedEpsilon: spec.privacy.claimedEpsilon, empiricalEpsilon: best.epsilonLowerBound!.epsilon },
      });
    }
  }

  if (result.ensemble) {
    const leak = ensembleLeakageFinding(result.ensemble, spec.name, locate(ctx, spec, [{ path: auditPath(spec, 'model'), part: 'value' }]));
    if (leak) findings.push(leak);
  }

  for (const e of result.errors) {
    findings.push({
      rule: 'invalid-input',
      severity: 'medium',
      audit: spec.name,
      attack: e.attack,
      message: `${e.attack} could not run: ${e.message}`,
      location: attackLocation(e.attack),
      related: [],
    });
  }
  const fallback = fallbackArchitectureFinding(result.attacks, spec, ctx);
  if (fallback) findings.push(fallback);
  findings.push(...defenseFindings(result, spec, ctx));
  findings.push(...basisFindings(result, spec, ctx));
  for (const check of result.plausibility ?? []) findings.push(plausibilityFinding(check, spec, ctx));
  return findings;
}

/** One finding per audit when its shadow-model attacks ran on default-architecture shadows, naming them. */
function fallbackArchitectureFinding(attacks: AttackResult[], spec: AuditSpec, ctx: FindingContext): Finding | undefined {
  const affected = attacks.filter((a) => a.architectureFallback !== undefined);
  if (affected.length === 0) return undefined;
  return {
    rule: 'fallback-architecture',
    severity: RULES['fallback-architecture'].defaultSeverity,
    audit: spec.name,
    message: `${affected[0].architectureFallback} Attacks affected: ${affected.map((a) => a.id).join(', ')}.`,
    location: locate(ctx, spec, [{ path: auditPath(spec, 'shadow'), part: 'key' }, { path: auditPath(spec, 'model'), part: 'value' }]),
    related: [{ file: relativeTo(ctx.root, spec.model), message: 'the audited model' }],
    data: { attacks: affected.length },
  };
}

/** The attack's value of a policy rule's metric; undefined when the data cannot measure it. */
export function measure(attack: AttackResult, rule: PolicyRule): number | undefined {
  switch (rule.metric) {
    case 'auc':
      return attack.metrics.auc;
    case 'advantage':
      return attack.metrics.advantage;
    case 'tprAtFpr': {
      const key = REPORTED_FPRS.find((k) => Number(k) === rule.fpr);
      const point = key ? attack.metrics.tprAtFpr[key] : undefined;
      if (point) return point.measurable ? point.tpr : undefined;
      return tprAtFprFromRoc(attack.metrics.roc, rule.fpr ?? 0.001);
    }
  }
}

/** For policy FPRs we do not report by default: the best TPR with FPR <= target on the ROC. */
function tprAtFprFromRoc(roc: [number, number][], target: number): number {
  return roc.reduce((best, [f, t]) => (f <= target && t > best ? t : best), 0);
}

function describeViolation(attack: AttackResult, rule: PolicyRule, measured: number): string {
  if (rule.metric === 'tprAtFpr') {
    const key = REPORTED_FPRS.find((k) => Number(k) === rule.fpr);
    const ci = key ? attack.metrics.tprAtFpr[key].tprInterval : undefined;
    return `TPR ${pct(measured)} at ${pct(rule.fpr!)} FPR${ci ? ` (95% CI ${pct(ci.lower)}-${pct(ci.upper)})` : ''} exceeds the policy maximum ${pct(rule.max)}`;
  }
  return `${rule.metric === 'auc' ? 'AUC' : 'attacker advantage'} ${measured.toFixed(3)} exceeds the policy maximum ${rule.max}`;
}

function headline(attack: AttackResult): string {
  const m = attack.metrics;
  return `AUC ${m.auc.toFixed(3)}, advantage ${m.advantage.toFixed(3)}, TPR ${pct(m.tprAtFpr['0.001'].tpr)} at 0.1% FPR over ${m.members} members and ${m.nonMembers} non-members.`;
}

function metricData(attack: AttackResult): Record<string, number> {
  const m = attack.metrics;
  return {
    auc: m.auc,
    advantage: m.advantage,
    tprAt1pctFpr: m.tprAtFpr['0.01'].tpr,
    tprAt01pctFpr: m.tprAtFpr['0.001'].tpr,
    tprAt001pctFpr: m.tprAtFpr['0.0001'].tpr,
  };
}

/** A rate as a percentage for finding messages: 3 significant figures, two for rates below 1%. */
export function pct(x: number): string {
  const v = x * 100;
  return `${v >= 10 || v === 0 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2)}%`;
}

function fmt(x: number): string {
  return x.toPrecision(2);
}

export function severityOf(findings: Finding[]): Severity | undefined {
  return findings.reduce<Severity | undefined>((acc, f) => (!acc || SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[acc] ? f.severity : acc), undefined);
}

export type { TextRange };
