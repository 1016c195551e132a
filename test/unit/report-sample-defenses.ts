/**
 * The report sample (report-sample.ts) with a defense comparison on its "tabular" audit,
 * numbers chosen by hand so the Pareto front is known without running any code:
 *
 *   id               acc    loss-threshold  label-only  worst   front (worst)  front (label-only)
 *   none (baseline)  0.82   0.05            0.015       0.05    no             yes (ties top-k, labels-only)
 *   l2               0.815  0.008           0.006       0.008   yes            yes
 *   dp-sgd           0.74   0.0012          0.001       0.0012  yes            yes
 *   top-k            0.82   0.04            0.015       0.04    no             yes
 *   labels-only      0.82   0.012           0.015       0.015   yes            yes
 *   gaussian-noise   0.80   0.03            0.014       0.03    no (l2)        no (l2)
 *   memguard         0.82   (every attack failed: no point)
 *
 * Policy: TPR <= 1% at 0.1% FPR, met by l2 and dp-sgd; the cheapest is l2 (cost 0.005).
 */
import type { OperatingPoint } from '../../src/engine/metrics/types';
import type { AuditReport, DefenseAttackOutcome, DefenseEvaluation } from '../../src/engine/report/schema';
import { sampleReport } from './report-sample';

/** The evaluations count 2000 non-members, so 0.1% FPR is measurable and 0.01% is not. */
function point(targetFpr: number, tpr: number): OperatingPoint {
  const members = 1000;
  const nonMembers = 2000;
  return {
    targetFpr,
    tpr,
    fpr: targetFpr >= 1 / nonMembers ? targetFpr * 0.8 : 0,
    threshold: 1,
    truePositives: Math.round(tpr * members),
    falsePositives: 0,
    tprInterval: { lower: Number(Math.max(0, tpr - 0.001).toFixed(6)), upper: Number((tpr + 0.002).toFixed(6)) },
    fprInterval: { lower: 0, upper: 0.007 },
    measurable: targetFpr >= 1 / nonMembers,
  };
}

function outcome(attack: string, tprAt01: number, auc: number): DefenseAttackOutcome {
  return {
    attack,
    auc,
    advantage: Number((2 * (auc - 0.5)).toFixed(6)),
    tprAtFpr: { '0.01': point(0.01, Number((tprAt01 * 3).toFixed(6))), '0.001': point(0.001, tprAt01), '0.0001': point(0.0001, 0) },
  };
}

function evaluation(
  id: string,
  defense: string,
  kind: DefenseEvaluation['kind'],
  config: Record<string, unknown>,
  testAccuracy: number,
  tprs: [number, number] | undefined,
  flags: { paretoOptimal: boolean; meetsPolicy: boolean },
  manifestIndex?: number,
): DefenseEvaluation {
  const attacks = tprs ? [outcome('loss-threshold', tprs[0], 0.6), outcome('label-only', tprs[1], 0.55)] : [];
  return {
    id,
    defense,
    kind,
    config,
    ...(manifestIndex !== undefined ? { manifestIndex } : {}),
    testAccuracy,
    trainAccuracy: Number((testAccuracy + 0.1).toFixed(6)),
    attacks,
    worstTpr: tprs ? Math.max(...tprs) : 0,
    ...flags,
    errors: tprs ? [] : [{ attack: 'loss-threshold', message: 'out of memory' }, { attack: 'label-only', message: 'out of memory' }],
    durationMs: 10,
  };
}

export const RECOMMENDED_CONFIG = { name: 'l2', weight: 0.001 };

export function sampleDefensesReport(options: { policyMax?: number } = {}): AuditReport {
  const report = sampleReport();
  const off = { paretoOptimal: false, meetsPolicy: false };
  report.audits[0]!.defenses = {
    frontFpr: '0.001',
    baseline: evaluation('none', 'none', 'none', { name: 'none' }, 0.82, [0.05, 0.015], off),
    evaluations: [
      evaluation('l2 weight=0.001', 'l2', 'training', RECOMMENDED_CONFIG, 0.815, [0.008, 0.006], { paretoOptimal: true, meetsPolicy: true }, 0),
      evaluation(
        'dp-sgd noiseMultiplier=1.1 clipNorm=1',
        'dp-sgd',
        'training',
        { name: 'dp-sgd', noiseMultiplier: 1.1, clipNorm: 1, delta: 1e-5 },
        0.74,
        [0.0012, 0.001],
        { paretoOptimal: true, meetsPolicy: true },
        1,
      ),
      evaluation('top-k k=1', 'top-k', 'inference', { name: 'top-k', k: 1 }, 0.82, [0.04, 0.015], off, 2),
      evaluation('labels-only', 'labels-only', 'inference', { name: 'labels-only' }, 0.82, [0.012, 0.015], { paretoOptimal: true, meetsPolicy: false }, 3),
      evaluation('gaussian-noise sigma=0.1', 'gaussian-noise', 'inference', { name: 'gaussian-noise', sigma: 0.1 }, 0.8, [0.03, 0.014], off, 4),
      evaluation('memguard', 'memguard', 'inference', { name: 'memguard' }, 0.82, undefined, off, 5),
    ],
    recommendation: { id: 'l2 weight=0.001', accuracyCost: 0.005, worstTpr: 0.008 },
  };
  report.audits[0]!.defenses.evaluations[1]!.dp = { epsilon: 2.53, delta: 1e-5, noiseMultiplier: 1.1, samplingRate: 0.064, steps: 470, order: 12 };
  report.findings.push({
    rule: 'defense-recommendation',
    severity: 'info',
    message: 'l2 weight=0.001 meets the policy at 0.5% accuracy cost.',
    audit: 'tabular',
    location: { file: 'privacy-audit.json' },
    related: [],
    data: { config: JSON.stringify(RECOMMENDED_CONFIG), accuracyCost: 0.005, worstTpr: 0.008, ...(options.policyMax !== undefined ? { policyMax: options.policyMax } : {}) },
  });
  return report;
}
