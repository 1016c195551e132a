/**
 * A small hand-made AuditReport for the report front end's unit tests: two audits, one
 * with a calibrated attack, an unmeasurable 0.01% FPR (500 non-members), a class without
 * AUC, hostile-looking names, and findings at report and audit level.
 */
import type { OperatingPoint } from '../../src/engine/metrics/types';
import type { AttackResult, AuditReport } from '../../src/engine/report/schema';

function round(x: number): number {
  return Number(x.toFixed(6));
}

function point(targetFpr: number, tpr: number, fpr: number, members: number, nonMembers: number, threshold: number): OperatingPoint {
  return {
    targetFpr,
    tpr,
    fpr,
    threshold,
    truePositives: Math.round(tpr * members),
    falsePositives: Math.round(fpr * nonMembers),
    // Rounded so the expected CSV cells are exact decimals.
    tprInterval: { lower: round(Math.max(0, tpr - 0.02)), upper: round(Math.min(1, tpr + 0.02)) },
    fprInterval: { lower: 0, upper: round(Math.min(1, fpr + 0.006)) },
    measurable: targetFpr >= 1 / nonMembers,
  };
}

function attack(id: string, roc: [number, number][], auc: number, tprs: [number, number, number]): AttackResult {
  const members = 1000;
  const nonMembers = 500;
  return {
    id,
    family: 'threshold',
    title: `Threshold on ${id}`,
    metrics: {
      members,
      nonMembers,
      auc,
      advantage: 0.3,
      ppv: 0.71,
      tprAtFpr: {
        '0.01': point(0.01, tprs[0], 0.008, members, nonMembers, 1.5),
        '0.001': point(0.001, tprs[1], 0, members, nonMembers, 2.5),
        '0.0001': point(0.0001, tprs[2], 0, members, nonMembers, Infinity),
      },
      roc,
      minMeasurableFpr: 1 / nonMembers,
    },
    histogram: { edges: [0, 0.5, 1, 1.5], members: [100, 300, 600], nonMembers: [300, 150, 50] },
    perClass: [
      { label: 1, members: 40, nonMembers: 3, auc: null, advantage: null },
      { label: 0, members: 500, nonMembers: 250, auc: 0.81, advantage: 0.4 },
    ],
    mostVulnerable: [
      { index: 17, score: 9.5 },
      { index: 3, score: 8.25 },
    ],
  };
}

export function sampleReport(): AuditReport {
  const loss = attack('loss-threshold', [[0, 0], [0, 0.05], [0.002, 0.1], [0.01, 0.2], [0.5, 0.9], [1, 1]], 0.8, [0.2, 0.05, 0]);
  const calibrated: AttackResult = {
    ...attack('=calibrated, "odd" name', [[0, 0], [0.0001, 0.00005], [0.3, 0.6], [1, 1]], 0.62, [0.01, 0.002, 0]),
    calibratedPoints: [point(0.01, 0.04, 0.012, 1000, 500, 0.7)],
    epsilonLowerBound: { epsilon: 1.25, delta: 1e-5 },
  };
  const dataset = (file: string, count: number) => ({ file, count, featureShape: [4], classCounts: [count / 2, count / 2] });
  return {
    schemaVersion: '1.0.0',
    tool: { name: 'privacy-lint', version: '0.1.0' },
    createdAt: '2026-11-28T16:05:00.000Z',
    backend: 'wasm',
    manifest: 'privacy-audit.json',
    root: '/workspace',
    audits: [
      {
        name: 'tabular',
        model: 'models/tabular/model.json',
        members: dataset('data/train.csv', 1000),
        nonMembers: dataset('data/holdout.csv', 500),
        accuracy: { members: 0.99, nonMembers: 0.82 },
        attacks: [loss, calibrated],
        errors: [{ attack: 'lira', message: 'no population data' }],
        durationMs: 1234,
      },
      {
        name: 'images',
        model: 'models/images/model.json',
        members: dataset('img/train', 1000),
        nonMembers: dataset('img/test', 500),
        accuracy: { members: 0.95, nonMembers: 0.9 },
        attacks: [attack('entropy-threshold', [[0, 0], [1, 1]], 0.5, [0.01, 0.001, 0])],
        errors: [],
        durationMs: 99,
      },
    ],
    findings: [
      {
        rule: 'unmeasurable-fpr',
        severity: 'low',
        message: 'Too few non-members for 0.01% FPR.',
        audit: 'tabular',
        location: { file: 'privacy-audit.json' },
        related: [],
      },
      {
        rule: 'membership-risk',
        severity: 'high',
        message: 'loss-threshold identifies 5% of members at 0.1% FPR.',
        audit: 'tabular',
        attack: 'loss-threshold',
        location: { file: 'privacy-audit.json', range: { start: { line: 3, character: 4 }, end: { line: 3, character: 20 }, offset: 40, length: 16 } },
        related: [],
      },
      {
        rule: 'unsafe-artifact',
        severity: 'medium',
        message: 'model.pkl is pickle-based.',
        location: { file: 'models/model.pkl' },
        related: [],
      },
      {
        rule: 'generalization-gap',
        severity: 'medium',
        message: 'Gap of 5 points.',
        audit: 'images',
        location: { file: 'privacy-audit.json' },
        related: [],
      },
    ],
  };
}
