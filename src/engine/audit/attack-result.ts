/**
 * Turns one attack's scores into the uniform AttackResult every report renders:
 * metrics with intervals, score histograms, per-class vulnerability, the most
 * vulnerable member records (by index only) and, for calibrated attacks, where the
 * attacker's own thresholds land on the real non-members.
 */
import {
  attackMetricsFromRoc,
  clopperPearson,
  computeRoc,
  countClasses,
  splitHalfEpsilonLowerBound,
  membershipAdvantage,
  rocAuc,
  scoreHistogram,
} from '../metrics';
import type { OperatingPoint } from '../metrics/types';
import type { AttackScores } from '../attacks/threshold';
import type { AttackResult, ClassVulnerability, VulnerableRecord } from '../report/schema';

export interface AttackDescription {
  id: string;
  family: string;
  title: string;
  /** Set by shadow-model attacks whose shadows use a default architecture (the shadows' note). */
  architectureFallback?: string;
}

const MOST_VULNERABLE_COUNT = 10;
/** Below this many records on either side a class's AUC is too noisy to report. */
const MIN_CLASS_RECORDS = 5;

export function buildAttackResult(
  attack: AttackDescription,
  scores: AttackScores,
  memberLabels: Int32Array,
  nonMemberLabels: Int32Array,
  numClasses: number,
  /** With a claimed DP delta: also the empirical epsilon lower bound of this attack's scores. */
  delta?: number,
  /** Of that bound's intervals: lower than 0.95 when one claim is made over several attacks. */
  epsilonConfidence = 0.95,
): AttackResult {
  const { memberScores, nonMemberScores } = scores;
  // One full ROC serves the metrics and the epsilon bound.
  const roc = computeRoc(concat(memberScores, nonMemberScores), membersFirst(memberScores.length, nonMemberScores.length));
  const counts = { members: memberScores.length, nonMembers: nonMemberScores.length };
  const metrics = attackMetricsFromRoc(roc, counts);
  return {
    id: attack.id,
    family: attack.family,
    title: attack.title,
    ...(attack.architectureFallback ? { architectureFallback: attack.architectureFallback } : {}),
    metrics,
    histogram: scoreHistogram(Array.from(memberScores), Array.from(nonMemberScores)),
    perClass: perClassVulnerability(memberScores, memberLabels, nonMemberScores, nonMemberLabels, numClasses),
    mostVulnerable: mostVulnerable(memberScores),
    calibratedPoints: scores.calibratedThresholds?.map((t) => pointAtThreshold(t.targetFpr, t.threshold, memberScores, nonMemberScores)),
    notes: scores.notes.length ? scores.notes : undefined,
    ...(delta === undefined ? {} : { epsilonLowerBound: epsilonBound(memberScores, nonMemberScores, delta, epsilonConfidence) }),
  };
}

function epsilonBound(members: Float64Array, nonMembers: Float64Array, delta: number, confidence: number): AttackResult['epsilonLowerBound'] {
  const b = splitHalfEpsilonLowerBound(members, nonMembers, delta, confidence);
  return { epsilon: b.epsilon, delta, method: b.method, confidence };
}

/** Ground truth for scores laid out members first, then non-members. */
function membersFirst(members: number, nonMembers: number): boolean[] {
  return Array.from({ length: members + nonMembers }, (_, i) => i < members);
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function perClassVulnerability(
  ms: Float64Array, ml: Int32Array, ns: Float64Array, nl: Int32Array, numClasses: number,
): ClassVulnerability[] {
  const out: ClassVulnerability[] = [];
  for (let c = 0; c < numClasses; c++) {
    const m = ms.filter((_, i) => ml[i] === c);
    const n = ns.filter((_, i) => nl[i] === c);
    let auc: number | null = null;
    let advantage: number | null = null;
    if (m.length >= MIN_CLASS_RECORDS && n.length >= MIN_CLASS_RECORDS) {
      const membership = membersFirst(m.length, n.length);
      const roc = computeRoc(concat(m, n), membership);
      auc = rocAuc(roc);
      advantage = membershipAdvantage(roc, countClasses(membership)).advantage;
    }
    out.push({ label: c, members: m.length, nonMembers: n.length, auc, advantage });
  }
  return out;
}

function mostVulnerable(memberScores: Float64Array): VulnerableRecord[] {
  return Array.from(memberScores, (score, index) => ({ index, score }))
    .filter((r) => Number.isFinite(r.score))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, MOST_VULNERABLE_COUNT);
}

/** The attacker predicts "member" when score > threshold (thresholds come from population quantiles). */
function pointAtThreshold(targetFpr: number, threshold: number, ms: Float64Array, ns: Float64Array): OperatingPoint {
  const tp = ms.reduce((a, s) => a + (s > threshold ? 1 : 0), 0);
  const fp = ns.reduce((a, s) => a + (s > threshold ? 1 : 0), 0);
  return {
    targetFpr,
    threshold,
    truePositives: tp,
    falsePositives: fp,
    tpr: tp / ms.length,
    fpr: fp / ns.length,
    tprInterval: clopperPearson(tp, ms.length),
    fprInterval: clopperPearson(fp, ns.length),
    measurable: targetFpr * ns.length >= 1,
  };
}
