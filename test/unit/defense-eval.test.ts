import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, type Classifier } from '../../src/engine/artifacts/models';
import { auditTarget } from '../../src/engine/audit';
import { computeModelOutputs } from '../../src/engine/audit/model-outputs';
import { DefenseSettingError } from '../../src/engine/defenses/apply';
import { DEFENSE_FAILURE, evaluateDefenses } from '../../src/engine/audit/defense-evaluation';
import type { TrainDefendedModel } from '../../src/engine/defenses/training/types';
import { parseManifest, type AuditSpec } from '../../src/engine/manifest';
import { defenseFindings } from '../../src/engine/audit/defense-findings';
import type { AuditResult, DefenseEvaluation, Finding } from '../../src/engine/report/schema';
import { dpSgdEpsilon } from '../../src/engine/defenses/rdp-accountant';
import { overfitWorkspace } from '../helpers/overfit-workspace';

const ATTACKS = ['loss-threshold', 'confidence-threshold', 'label-only-augmentation'];

async function writeManifest(name: string, audit: Record<string, unknown>): Promise<string> {
  const ws = await overfitWorkspace();
  const base = JSON.parse(fs.readFileSync(ws.manifest, 'utf8')).audits[0];
  const file = path.join(ws.dir, name);
  fs.writeFileSync(file, JSON.stringify({ version: 1, audits: [{ ...base, ...audit }] }, null, 2));
  return file;
}

function specOf(file: string): AuditSpec {
  const parsed = parseManifest(fs.readFileSync(file, 'utf8'), file);
  assert.ok(parsed.manifest, parsed.problems.map((p) => p.message).join('\n'));
  return parsed.manifest.audits[0]!;
}

function byId(evaluations: DefenseEvaluation[], prefix: string): DefenseEvaluation {
  const e = evaluations.find((x) => x.id.startsWith(prefix));
  assert.ok(e, `no evaluation ${prefix} among ${evaluations.map((x) => x.id).join(', ')}`);
  return e;
}

/** A model answering 1/numClasses for every class: nothing to learn about membership, and no weights to read. */
function uniformClassifier(like: Classifier): Classifier {
  return {
    ...like,
    format: 'uniform',
    predictProbabilities: async (_f, _s, count) => new Float32Array(count * like.numClasses).fill(1 / like.numClasses),
    dispose: () => undefined,
  };
}

describe('defenses side by side, inference-time (real audit)', () => {
  test('labels-only and top-1 keep the label-only attack exactly and reduce confidence attacks to correctness', { timeout: 120_000 }, async () => {
    const file = await writeManifest('defenses-inference.json', {
      attacks: ['loss-threshold'],
      defenses: { attacks: ATTACKS, evaluate: [{ name: 'labels-only' }, { name: 'top-k', k: 1 }, { name: 'gaussian-noise', sigma: 3 }, { name: 'purifier' }] },
    });
    const stages: string[] = [];
    const report = await auditTarget(file, { onProgress: (p) => stages.push(`${p.done}/${p.total} ${p.stage}`) });
    assert.equal(report.audits.length, 1, JSON.stringify(report.findings.map((f) => f.message)));
    const audit = report.audits[0]!;
    const c = audit.defenses!;
    assert.ok(c, 'the audit carries the comparison');
    assert.equal(c.baseline.defense, 'none', 'baseline first');
    assert.equal(c.baseline.testAccuracy, audit.accuracy.nonMembers, 'baseline test accuracy is the target\'s non-member accuracy');
    assert.equal(c.evaluations.length, 4, 'one evaluation per configured defense');
    const purifier = byId(c.evaluations, 'purifier');
    assert.deepEqual(purifier.errors, [], 'purifier ran every attack');
    assert.equal(purifier.testAccuracy, c.baseline.testAccuracy, 'purifier keeps every label');
    assert.equal(purifier.attacks.find((a) => a.attack === 'label-only-augmentation')!.auc, c.baseline.attacks.find((a) => a.attack === 'label-only-augmentation')!.auc, 'purifier: label-only attack unchanged');
    const labelsOnly = byId(c.evaluations, 'labels-only');
    const top1 = byId(c.evaluations, 'top-k');
    const attack = (e: DefenseEvaluation, id: string) => e.attacks.find((a) => a.attack === id)!;
    for (const e of [labelsOnly, top1]) {
      assert.deepEqual(e.errors, [], `${e.id} ran every attack`);
      assert.equal(e.testAccuracy, c.baseline.testAccuracy, `${e.id} keeps every label`);
      assert.equal(attack(e, 'label-only-augmentation').auc, attack(c.baseline, 'label-only-augmentation').auc, `${e.id}: label-only attack unchanged`);
      // With one-hot outputs the confidence is 1 on correct records and 0 on wrong ones, so the
      // attack is the correctness attack; its AUC follows from the two accuracies alone:
      // P(member correct, non-member wrong) + 1/2 P(tie).
      const am = e.trainAccuracy;
      const an = e.testAccuracy;
      const expected = am * (1 - an) + 0.5 * (am * an + (1 - am) * (1 - an));
      assert.ok(Math.abs(attack(e, 'confidence-threshold').auc - expected) < 1e-9, `${e.id}: confidence AUC ${attack(e, 'confidence-threshold').auc} vs correctness formula ${expected}`);
      assert.ok(attack(e, 'loss-threshold').auc < attack(c.baseline, 'loss-threshold').auc, `${e.id}: loss attack weaker than undefended`);
      assert.ok(attack(e, 'loss-threshold').epsilonLowerBound, `${e.id}: epsilon bound reported`);
    }
    assert.equal(labelsOnly.kind, 'inference', 'kind from the catalog');
    assert.deepEqual(labelsOnly.config, { name: 'labels-only' }, 'config as written');
    assert.equal(labelsOnly.manifestIndex, 0, 'manifest index');
    // Pareto flags agree with a brute-force dominance check over the reported numbers.
    const all = [c.baseline, ...c.evaluations];
    for (const e of all) {
      const dominated = all.some((o) => o !== e && o.testAccuracy >= e.testAccuracy && o.worstTpr <= e.worstTpr && (o.testAccuracy > e.testAccuracy || o.worstTpr < e.worstTpr));
      assert.equal(e.paretoOptimal, !dominated, `${e.id}: Pareto flag`);
      const worst = Math.max(...e.attacks.map((a) => a.tprAtFpr['0.001'].tpr));
      assert.equal(e.worstTpr, worst, `${e.id}: worst TPR at 0.1% FPR`);
    }
    // Progress: one step per evaluation after the audit's own attacks, ending at the total.
    assert.ok(stages.some((s) => /defense none: attack label-only-augmentation/.test(s)), `baseline stages reported: ${stages.join('; ')}`);
    assert.ok(stages.some((s) => /defense top-k k=1: attack/.test(s)), 'defense stages reported');
    assert.match(stages[stages.length - 1]!, /^7\/7 done$/, 'last stage is done/total (1 attack + 1 + baseline + 4 defenses)');
  });

  test('a defense served with the model ("defense") is what the audit attacks', { timeout: 120_000 }, async () => {
    const file = await writeManifest('defense-applied.json', { attacks: ['confidence-threshold'], defense: { name: 'labels-only' } });
    const report = await auditTarget(file);
    const audit = report.audits[0]!;
    assert.deepEqual(audit.appliedDefense, { name: 'labels-only' }, 'applied defense recorded');
    const am = audit.accuracy.members;
    const an = audit.accuracy.nonMembers;
    const expected = am * (1 - an) + 0.5 * (am * an + (1 - am) * (1 - an));
    assert.ok(Math.abs(audit.attacks[0]!.metrics.auc - expected) < 1e-9, `audited outputs are one-hot: AUC ${audit.attacks[0]!.metrics.auc} vs ${expected}`);
  });

  test('an impossible DP-SGD sampling rate is a finding on the batchSize key, before any training', { timeout: 120_000 }, async () => {
    const file = await writeManifest('defenses-bad-batch.json', { attacks: ['loss-threshold'], defenses: { evaluate: [{ name: 'dp-sgd', batchSize: 1000 }] } });
    const report = await auditTarget(file);
    assert.equal(report.audits.length, 0, 'the audit stops');
    const f = report.findings.find((x) => /sampling rate/.test(x.message));
    assert.ok(f, `finding: ${report.findings.map((x) => x.message).join('\n')}`);
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(text.slice(f.location.range!.offset, f.location.range!.offset + f.location.range!.length), '1000', 'range of the batchSize value');
    assert.match(f.message, /1000 \/ 150/, 'names the numbers');
  });
});

describe('defenses side by side, training-time (injected trainer)', () => {
  test('retrained models are attacked, one failure is recorded, DP contradictions and the recommendation are found', { timeout: 120_000 }, async () => {
    const file = await writeManifest('defenses-training.json', {
      attacks: ['loss-threshold'],
      policy: { rules: [{ metric: 'auc', max: 0.6, severity: 'high' }] },
      defenses: { attacks: ['loss-threshold', 'confidence-threshold', 'white-box-gradient-norm'], evaluate: [{ name: 'l2' }, { name: 'dropout' }, { name: 'dp-sgd', noiseMultiplier: 0.5, batchSize: 50 }] },
    });
    const spec = specOf(file);
    const target = await computeModelOutputs(spec);
    const requests: string[] = [];
    const train: TrainDefendedModel = async (req) => {
      requests.push(`${req.defense.name} ${JSON.stringify(req.defense.params)} batch=${req.defense.train.batchSize} members=${req.members.count} ref=${req.reference?.count}`);
      if (req.defense.name === 'dropout') throw new Error('out of memory (simulated)');
      // l2: a model that learnt nothing; dp-sgd: the leaky target itself, with an epsilon its attacks refute.
      const model = await loadModel(req.targetModelFile);
      if (req.defense.name === 'l2') return { classifier: uniformClassifier(model), fromCache: false, samplesPerSecond: 0, notes: [] };
      return { classifier: model, fromCache: false, samplesPerSecond: 0, notes: [], dp: { epsilon: 0.05, delta: req.defense.params['delta']!, noiseMultiplier: 0.5, samplingRate: 50 / 150, steps: 90, order: 32 } };
    };
    try {
      const c = await evaluateDefenses({ spec, defenses: spec.defenses!, target, root: path.dirname(file), hooks: {}, options: { manifestFile: file }, train });
      assert.deepEqual(requests, [
        'l2 {"weight":0.001} batch=64 members=150 ref=300',
        'dropout {"rate":0.5} batch=64 members=150 ref=300',
        'dp-sgd {"noiseMultiplier":0.5,"clipNorm":1,"delta":0.00001} batch=50 members=150 ref=300',
      ], 'the trainer gets the members, the population as reference, params and settings');
      const [l2, dropout, dp] = c.evaluations;
      assert.equal(dropout!.errors[0]?.attack, DEFENSE_FAILURE, 'dropout failure recorded');
      assert.match(dropout!.errors[0]!.message, /out of memory/, 'with the reason');
      assert.ok(Number.isNaN(dropout!.testAccuracy) && !dropout!.paretoOptimal, 'a failed defense has no numbers and is off the front');
      // The uniform model predicts class 0 everywhere: its accuracy is the share of class 0.
      const share0 = target.nonMembers.dataset.labels.filter((l) => l === 0).length / target.nonMembers.dataset.count;
      assert.equal(l2!.testAccuracy, share0, 'uniform model accuracy = class-0 share of non-members');
      assert.equal(l2!.worstTpr, 0, 'all scores tie: no member found at 0.1% FPR');
      assert.ok(l2!.attacks.every((a) => a.auc === 0.5), 'all attacks at chance');
      assert.equal(l2!.errors.length, 1, 'the white-box attack is refused against a retrained model without weights');
      assert.match(l2!.errors[0]!.message, /white-box attack is not run against "l2": the retrained model \(uniform\) offers no gradient access/, 'with a clear reason');
      assert.equal(l2!.meetsPolicy, false, 'a refused attack leaves the policy unproven');
      // The "DP-SGD" model is a TF.js Layers model (the target's own file): the white-box attack
      // reads that file's weights, so it scores exactly as on the undefended target.
      assert.deepEqual(dp!.errors, [], 'every attack runs against a retrained Layers model');
      const whiteBoxAuc = (e: DefenseEvaluation) => e.attacks.find((a) => a.attack === 'white-box-gradient-norm')?.auc;
      assert.equal(whiteBoxAuc(dp!), whiteBoxAuc(c.baseline), 'white-box on the retrained model\'s file (here: the target\'s)');
      assert.deepEqual(dp!.dp?.epsilon, 0.05, 'accounted epsilon passed through');
      assert.equal(dp!.attacks[0]!.epsilonLowerBound?.delta, 0.00001, 'empirical bound at the DP-SGD delta');
      assert.ok(dp!.attacks[0]!.epsilonLowerBound!.epsilon > 0.05, 'the leaky "DP" model is caught');
      assert.equal(c.baseline.attacks.find((a) => a.attack === 'white-box-gradient-norm')?.attack, 'white-box-gradient-norm', 'white-box runs on the undefended target');
      assert.equal(c.recommendation, undefined, 'nothing proven within the policy: no recommendation');

      // Without the refused attack the uniform model meets the policy and is recommended.
      const blackBox = { ...spec.defenses!, attacks: ['loss-threshold', 'confidence-threshold'] };
      const c2 = await evaluateDefenses({ spec, defenses: blackBox, target, root: path.dirname(file), hooks: {}, options: { manifestFile: file }, train });
      assert.equal(c2.baseline.meetsPolicy, false, 'the overfit target fails AUC <= 0.6');
      assert.equal(c2.recommendation?.id, 'l2 weight=0.001', 'the only setting within the policy');
      assert.ok(Math.abs(c2.recommendation!.accuracyCost - (c2.baseline.testAccuracy - share0)) < 1e-12, 'cost = baseline accuracy - uniform model accuracy');
      const text = fs.readFileSync(file, 'utf8');
      const ranges = parseManifest(text, file).ranges;
      const result = { name: spec.name, model: 'model/model.json', attacks: [], errors: [], defenses: c2 } as unknown as AuditResult;
      const findings = defenseFindings(result, spec, { manifestFile: file, ranges, root: path.dirname(file) });
      const rec = findings.find((f) => f.rule === 'defense-recommendation');
      assert.ok(rec, `recommendation finding among ${findings.map((f) => f.rule).join(', ')}`);
      const at = (f: Finding) => text.slice(f.location.range!.offset, f.location.range!.offset + f.location.range!.length);
      assert.deepEqual(JSON.parse(at(rec)), { name: 'l2' }, 'on the defenses.evaluate entry');
      assert.deepEqual(JSON.parse(String(rec.data!['config'])), { name: 'l2', weight: 0.001 }, 'configuration for the quick fix, defaults filled');
      const cost = c2.baseline.testAccuracy - share0;
      const costText = cost >= 0 ? `at a test-accuracy cost of ${(cost * 100).toFixed(1)} points` : `and even gains ${(-cost * 100).toFixed(1)} points of test accuracy`;
      assert.ok(rec.message.includes(costText), `accuracy cost in the message: ${rec.message}`);
      const claim = findings.find((f) => f.rule === 'epsilon-claim');
      assert.ok(claim, 'DP-SGD epsilon contradicted by the attacks');
      assert.deepEqual(JSON.parse(at(claim)), { name: 'dp-sgd', noiseMultiplier: 0.5, batchSize: 50 }, 'on the dp-sgd entry');
      assert.match(claim.message, /accounts \(epsilon=0\.05/, 'accounted epsilon in the message');
      const failed = findings.find((f) => f.rule === 'invalid-input');
      assert.match(failed?.message ?? '', /dropout rate=0\.5 could not be evaluated: dropout failed: out of memory/, 'failed defense reported');
    } finally {
      target.model.dispose();
    }
  });

  test('settings are checked before the first training; cancellation stops the evaluation', { timeout: 60_000 }, async () => {
    const file = await writeManifest('defenses-k.json', { defenses: { evaluate: [{ name: 'l2' }, { name: 'top-k', k: 5 }] } });
    const spec = specOf(file);
    const target = await computeModelOutputs(spec);
    let trained = 0;
    const train: TrainDefendedModel = async () => {
      trained++;
      throw new Error('not reached');
    };
    try {
      await assert.rejects(
        evaluateDefenses({ spec, defenses: spec.defenses!, target, root: path.dirname(file), hooks: {}, options: { manifestFile: file }, train }),
        (e: unknown) => e instanceof DefenseSettingError && /k <= 3/.test(e.message) && e.manifestPath.join('.') === 'audits.0.defenses.evaluate.1.k',
        'k above the number of classes, on its key',
      );
      assert.equal(trained, 0, 'nothing trained');
      const ok = { ...spec.defenses!, evaluate: spec.defenses!.evaluate.slice(0, 1) };
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        evaluateDefenses({ spec, defenses: ok, target, root: path.dirname(file), hooks: { signal: controller.signal }, options: {}, train }),
        (e: unknown) => (e as Error).name === 'CancelledError',
        'cancelled',
      );
    } finally {
      target.model.dispose();
    }
  });
});

describe('a training-time "defense" with the real trainer', () => {
  test('the audit attacks the retrained model and reports the accounted epsilon', { timeout: 120_000 }, async () => {
    const file = await writeManifest('defense-dp.json', {
      attacks: ['loss-threshold'],
      defense: { name: 'dp-sgd', noiseMultiplier: 1, clipNorm: 1, delta: 0.001, epochs: 4, batchSize: 30 },
    });
    const report = await auditTarget(file, { workers: 1 });
    assert.equal(report.audits.length, 1, report.findings.map((f) => f.message).join('\n'));
    const audit = report.audits[0]!;
    const applied = audit.appliedDefense!;
    assert.equal(applied['name'], 'dp-sgd', 'applied defense recorded');
    const dp = applied['dp'] as { epsilon: number; samplingRate: number; steps: number; delta: number; noiseMultiplier: number };
    assert.equal(dp.samplingRate, 30 / 150, 'q = batchSize / members');
    // The accounted epsilon is the RDP accountant's for the run's q, sigma, steps and delta.
    const expected = dpSgdEpsilon({ samplingRate: dp.samplingRate, noiseMultiplier: 1, steps: dp.steps, delta: 0.001 }).epsilon;
    assert.ok(Math.abs(dp.epsilon - expected) < 1e-9 * expected, `epsilon ${dp.epsilon} vs accountant ${expected}`);
    // The memorising target has ~100% member accuracy; 4 noisy epochs cannot memorise random labels.
    assert.ok(audit.accuracy.members < 0.9, `the audited model is the retrained one: member accuracy ${audit.accuracy.members}`);
    assert.equal(audit.attacks[0]!.epsilonLowerBound?.delta, 0.001, 'empirical bound at the DP-SGD delta');
    const claim = report.findings.find((f) => f.rule === 'epsilon-claim');
    assert.equal(claim, undefined, `a real DP-SGD run is not refuted: ${claim?.message}`);
  });
});
