import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { paretoOptimal } from '../../src/engine/defenses/pareto';
import { recommendDefense } from '../../src/engine/defenses/recommend';
import { policyLimitAt } from '../../src/engine/audit/defense-evaluation';
import type { AuditSpec } from '../../src/engine/manifest';
import type { DefenseEvaluation } from '../../src/engine/report/schema';

describe('paretoOptimal', () => {
  test('hand-made points: dominated ones are off the front', () => {
    // accuracy up, risk down. By hand:
    // A (0.90, 0.20) baseline: most accurate -> optimal
    // B (0.85, 0.05): optimal (nothing both >= 0.85 accurate and <= 0.05 risk)
    // C (0.80, 0.08): dominated by B (less accurate, riskier)
    // D (0.70, 0.001): optimal (least risk)
    // E (0.70, 0.01): dominated by D (same accuracy, riskier)
    // F (0.85, 0.05): equal to B -> both optimal
    const points = [
      { accuracy: 0.9, risk: 0.2 },
      { accuracy: 0.85, risk: 0.05 },
      { accuracy: 0.8, risk: 0.08 },
      { accuracy: 0.7, risk: 0.001 },
      { accuracy: 0.7, risk: 0.01 },
      { accuracy: 0.85, risk: 0.05 },
    ];
    assert.deepEqual(paretoOptimal(points), [true, true, false, true, false, true], 'front flags');
  });

  test('a failed evaluation (NaN) is never optimal and never dominates', () => {
    const flags = paretoOptimal([{ accuracy: NaN, risk: NaN }, { accuracy: 0.5, risk: 0.5 }, { accuracy: 0.9, risk: NaN }]);
    assert.deepEqual(flags, [false, true, false], 'NaN points are off the front and leave the others on it');
  });

  test('a single point is the front; no points, no front', () => {
    assert.deepEqual(paretoOptimal([{ accuracy: 0.1, risk: 1 }]), [true], 'single point');
    assert.deepEqual(paretoOptimal([]), [], 'empty');
  });
});

function evaluation(id: string, testAccuracy: number, worstTpr: number, paretoOptimal: boolean, meetsPolicy: boolean, errors: DefenseEvaluation['errors'] = []): DefenseEvaluation {
  return {
    id, defense: id.split(' ')[0]!, kind: id === 'none' ? 'none' : 'training', config: { name: id }, testAccuracy, trainAccuracy: testAccuracy,
    attacks: [], worstTpr, paretoOptimal, meetsPolicy, errors, durationMs: 0,
  };
}

describe('recommendDefense', () => {
  const baseline = evaluation('none', 0.9, 0.2, true, false);

  test('the setting within the policy that loses the least accuracy', () => {
    const rec = recommendDefense(baseline, [
      evaluation('dp-sgd', 0.7, 0.001, true, true),
      evaluation('l2', 0.85, 0.005, true, true),
      evaluation('top-k', 0.9, 0.2, false, false),
    ]);
    assert.equal(rec?.id, 'l2', 'least accuracy cost among policy-meeting settings');
    assert.ok(Math.abs(rec!.accuracyCost - 0.05) < 1e-12, `cost 0.90 - 0.85, got ${rec!.accuracyCost}`);
    assert.equal(rec!.worstTpr, 0.005, 'its worst TPR');
  });

  test('a setting dominated on the chart only by one that fails the policy is still recommended', () => {
    // dp-sgd is as accurate and no riskier at the front FPR, but fails the policy on another
    // metric (AUC): l2 is off the overall front, yet it is the only setting within the policy.
    const points = [{ accuracy: 0.8, risk: 0 }, { accuracy: 0.75, risk: 0 }];
    const [dpFlag, l2Flag] = paretoOptimal(points);
    assert.deepEqual([dpFlag, l2Flag], [true, false], 'l2 is dominated on the chart axes');
    const rec = recommendDefense(baseline, [evaluation('dp-sgd', 0.8, 0, dpFlag!, false), evaluation('l2', 0.75, 0, l2Flag!, true)]);
    assert.equal(rec?.id, 'l2', 'the only setting within the policy');
  });

  test('ties on accuracy go to the lower TPR; failed settings are skipped', () => {
    const rec = recommendDefense(baseline, [
      evaluation('a', 0.8, 0.009, true, true, [{ attack: 'defense', message: 'boom' }]),
      evaluation('b', 0.8, 0.008, true, true),
      evaluation('c', 0.8, 0.002, true, true),
    ]);
    assert.equal(rec?.id, 'c', 'lower TPR wins the tie; the failed one is skipped');
  });

  test('no recommendation when the baseline meets the policy or nothing does', () => {
    assert.equal(recommendDefense({ ...baseline, meetsPolicy: true }, [evaluation('l2', 0.85, 0.001, true, true)]), undefined, 'baseline fine');
    assert.equal(recommendDefense(baseline, [evaluation('l2', 0.85, 0.05, true, false)]), undefined, 'nothing meets the policy');
  });
});

test('the policy limit at the front FPR is the tightest tprAtFpr rule there, and absent without one', () => {
  const spec = (policy: AuditSpec['policy']) => ({ policy }) as AuditSpec;
  const tpr = (fpr: number, max: number) => ({ metric: 'tprAtFpr' as const, fpr, max, severity: 'high' as const });
  assert.equal(policyLimitAt(spec([tpr(0.001, 0.02), tpr(0.001, 0.01), tpr(0.01, 0.001)]), 0.001), 0.01, 'the smaller of the two limits at 0.1% FPR; the 1% rule is ignored');
  assert.equal(policyLimitAt(spec([{ metric: 'auc', max: 0.6, severity: 'medium' }, tpr(0.01, 0.05)]), 0.001), undefined, 'no rule at 0.1% FPR: no limit');
});
