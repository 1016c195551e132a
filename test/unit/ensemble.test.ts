import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { layersModelFileWriter } from '../../src/engine/artifacts/models/tfjs-layers-files';
import { auditTarget } from '../../src/engine/audit';
import { computeSignals } from '../../src/engine/attacks/signals';
import { computeRiskPredictors } from '../../src/engine/audit/risk-predictors';
import { compareLeakage } from '../../src/engine/audit/ensemble-audit';
import { ensembleLeakageFinding } from '../../src/engine/audit/ensemble-finding';
import { EnsembleClassifier, averageProbabilities } from '../../src/engine/artifacts/models/ensemble-classifier';
import type { Classifier } from '../../src/engine/artifacts/models';
import { isInputError } from '../../src/engine/errors';
import { parseManifest } from '../../src/engine/manifest';
import { rocAucScore } from '../../src/engine/metrics';
import { toHtml } from '../../src/engine/report/html';
import { toText } from '../../src/engine/report/text';
import type { AttackResult } from '../../src/engine/report/schema';

const FEATURES = 6;
const CLASSES = 3;

function randomRows(n: number, seed: number): { x: number[][]; y: number[] } {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
  const x = Array.from({ length: n }, () => Array.from({ length: FEATURES }, () => rand() * 2 - 1));
  const y = Array.from({ length: n }, () => Math.floor(rand() * CLASSES));
  return { x, y };
}

function writeCsv(file: string, rows: { x: number[][]; y: number[] }): void {
  const header = [...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',');
  fs.writeFileSync(file, [header, ...rows.x.map((r, i) => [...r.map((v) => v.toFixed(6)), rows.y[i]].join(','))].join('\n') + '\n');
}

/** A tiny MLP that memorises its (random-label) training rows. */
async function trainTiny(rows: { x: number[][]; y: number[] }, seed: number): Promise<tfl.LayersModel> {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [FEATURES], units: 48, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }),
      tfl.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy' });
  const xs = tf.tensor2d(rows.x);
  const ys = tf.tensor1d(rows.y, 'float32');
  await model.fit(xs, ys, { epochs: 120, batchSize: 32, verbose: 0, shuffle: false });
  xs.dispose();
  ys.dispose();
  return model;
}

function predict(model: tfl.LayersModel, x: number[][]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor2d(x)) as tf.Tensor).dataSync() as Float32Array).slice();
}

/** AUC of the loss-threshold attack (score = log p_y) computed here, from the probabilities. */
function lossAuc(members: Float32Array, memberLabels: number[], nonMembers: Float32Array, nonMemberLabels: number[]): number {
  const m = computeSignals(members, CLASSES, Int32Array.from(memberLabels)).loss;
  const n = computeSignals(nonMembers, CLASSES, Int32Array.from(nonMemberLabels)).loss;
  return rocAucScore([...m, ...n], [...m, ...n].map((_, i) => i < m.length));
}

describe('ensemble audit of two models trained on overlapping data', { timeout: 120_000 }, () => {
  const setup = (async () => {
    await initBackend('auto');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-ensemble-'));
    const members = randomRows(160, 11);
    const nonMembers = randomRows(160, 12);
    writeCsv(path.join(dir, 'train.csv'), members);
    writeCsv(path.join(dir, 'test.csv'), nonMembers);
    // Model a trains on members 0-99, model b on 60-159: 40 records in common.
    const slice = (from: number, to: number) => ({ x: members.x.slice(from, to), y: members.y.slice(from, to) });
    const a = await trainTiny(slice(0, 100), 1);
    const b = await trainTiny(slice(60, 160), 5);
    await a.save(layersModelFileWriter(path.join(dir, 'a')));
    await b.save(layersModelFileWriter(path.join(dir, 'b')));
    const outputs = {
      a: { members: predict(a, members.x), nonMembers: predict(a, nonMembers.x) },
      b: { members: predict(b, members.x), nonMembers: predict(b, nonMembers.x) },
    };
    a.dispose();
    b.dispose();
    const manifest = path.join(dir, 'privacy-audit.json');
    fs.writeFileSync(manifest, JSON.stringify({
      version: 1,
      audits: [{
        name: 'ensemble', model: ['a/model.json', 'b/model.json'], members: 'train.csv', nonMembers: 'test.csv', label: 'label',
        attacks: ['loss-threshold', 'confidence-threshold', 'white-box-gradient-norm'],
      }],
    }, null, 2));
    const report = await auditTarget(manifest);
    return { dir, manifest, members, nonMembers, outputs, report };
  })();

  test('the attacks run against the averaged probabilities', async () => {
    const { report, members, nonMembers, outputs } = await setup;
    assert.equal(report.audits.length, 1, JSON.stringify(report.findings));
    const audit = report.audits[0];
    const avgMembers = averageProbabilities([outputs.a.members, outputs.b.members]);
    const avgNonMembers = averageProbabilities([outputs.a.nonMembers, outputs.b.nonMembers]);
    const expected = lossAuc(avgMembers, members.y, avgNonMembers, nonMembers.y);
    const loss = audit.attacks.find((x) => x.id === 'loss-threshold');
    assert.ok(loss, `loss-threshold ran: ${audit.attacks.map((x) => x.id).join(', ')}`);
    assert.ok(Math.abs(loss.metrics.auc - expected) < 1e-6, `audit AUC ${loss.metrics.auc}, AUC of the averaged probabilities ${expected}`);
    // White-box needs one model's gradients: it fails on the ensemble, with the reason.
    const wb = audit.errors.find((e) => e.attack === 'white-box-gradient-norm');
    assert.ok(wb && /averaged ensemble has none/.test(wb.message), `white-box error: ${JSON.stringify(audit.errors)}`);
    // The risk predictors describe the averaged model too.
    const risk = computeRiskPredictors(
      { probabilities: avgMembers, labels: Int32Array.from(members.y) },
      { probabilities: avgNonMembers, labels: Int32Array.from(nonMembers.y) },
      CLASSES,
    );
    assert.ok(audit.riskPredictors, 'riskPredictors filled');
    assert.ok(Math.abs(audit.riskPredictors.crossEntropyJsDistance - risk.crossEntropyJsDistance) < 1e-6, `cross-entropy JS ${audit.riskPredictors.crossEntropyJsDistance} vs ${risk.crossEntropyJsDistance}`);
    assert.ok(Math.abs(audit.riskPredictors.entropyJsDistance - risk.entropyJsDistance) < 1e-6, `entropy JS ${audit.riskPredictors.entropyJsDistance} vs ${risk.entropyJsDistance}`);
  });

  test('each model is audited alone, and the ensemble leaks more than either', async () => {
    const { report, members, nonMembers, outputs } = await setup;
    const e = report.audits[0].ensemble;
    assert.ok(e, 'AuditResult.ensemble filled');
    assert.deepEqual(e.members.map((m) => m.model), ['a/model.json', 'b/model.json'], 'member paths');
    for (const [i, key] of (['a', 'b'] as const).entries()) {
      const own = lossAuc(outputs[key].members, members.y, outputs[key].nonMembers, nonMembers.y);
      assert.ok(e.members[i].bestAuc >= own - 1e-6, `model ${key}: best AUC ${e.members[i].bestAuc} below its own loss AUC ${own}`);
      // Each model memorised only part of the members (100 of 160), so it leaks less on all of them.
      assert.ok(e.members[i].bestAuc < e.ensemble.bestAuc, `model ${key} AUC ${e.members[i].bestAuc} vs ensemble ${e.ensemble.bestAuc}`);
    }
    assert.equal(e.raisedLeakage, true, 'ensembling raised leakage');
    assert.equal(e.frontFpr, '0.001');
    const finding = report.findings.find((f) => f.rule === 'ensemble-leakage');
    assert.ok(finding, `ensemble-leakage finding: ${report.findings.map((f) => f.rule).join(', ')}`);
    assert.match(finding.message, /Averaging the 2 models leaks more than any of them alone/);
    const text = fs.readFileSync((await setup).manifest, 'utf8');
    const range = finding.location.range!;
    assert.equal(text.slice(range.offset, range.offset + range.length).replace(/\s+/g, ''), '["a/model.json","b/model.json"]', 'finding sits on the "model" list');
  });

  test('a model that does not fit the others is an input error on its entry of the list', async () => {
    const { dir } = await setup;
    // A 4-class model beside the 3-class ones.
    const odd = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [FEATURES], units: 4, activation: 'softmax' })] });
    await odd.save(layersModelFileWriter(path.join(dir, 'odd')));
    odd.dispose();
    const manifest = path.join(dir, 'mismatch.json');
    fs.writeFileSync(manifest, JSON.stringify({
      version: 1,
      audits: [{ name: 'mismatch', model: ['a/model.json', 'odd/model.json'], members: 'train.csv', nonMembers: 'test.csv', label: 'label', attacks: ['loss-threshold'] }],
    }, null, 2));
    const report = await auditTarget(manifest);
    assert.equal(report.audits.length, 0, 'the audit did not run');
    const f = report.findings.find((x) => x.rule === 'invalid-input');
    assert.ok(f, JSON.stringify(report.findings));
    assert.match(f.message, /ensemble models must have the same classes: this model has 4/);
    const text = fs.readFileSync(manifest, 'utf8');
    assert.equal(text.slice(f.location.range!.offset, f.location.range!.offset + f.location.range!.length), '"odd/model.json"', 'on the entry');
  });

  test('the text and HTML reports show the ensemble and the risk predictors', async () => {
    const { report } = await setup;
    const text = toText(report);
    assert.match(text, /Ensemble: Averaging raised leakage above every single model\./);
    assert.match(text, /ensemble \(average\)/);
    assert.match(text, /Risk predictors \(Jensen-Shannon distance.*entropy \d\.\d{3}, cross-entropy \d\.\d{3}/);
    const page = toHtml(report);
    assert.match(page, /<h3>Ensemble<\/h3>/);
    assert.match(page, /<dt>Risk predictors<\/dt>/);
  });
});

describe('EnsembleClassifier', () => {
  const fake = (file: string, numClasses: number, value: (i: number) => number, inputShape: (number | null)[] = [4]): Classifier & { disposed: boolean } => ({
    file, format: 'fake', inputShape, numClasses, parameterCount: 10, disposed: false,
    async predictProbabilities(_f, _s, count) { return Float32Array.from({ length: count * numClasses }, (_, i) => value(i)); },
    dispose() { this.disposed = true; },
  });

  test('averages the members and disposes them', async () => {
    const a = fake('a.json', 2, (i) => (i % 2 ? 0.9 : 0.1));
    const b = fake('b.json', 2, (i) => (i % 2 ? 0.3 : 0.7));
    const ensemble = new EnsembleClassifier([a, b]);
    assert.deepEqual(Array.from(await ensemble.predictProbabilities(new Float32Array(8), [4], 2)), Array.from(Float32Array.from([0.4, 0.6, 0.4, 0.6])), 'mean of (0.1, 0.9) and (0.7, 0.3)');
    assert.equal(ensemble.parameterCount, 20);
    ensemble.dispose();
    assert.ok(a.disposed && b.disposed, 'members disposed');
  });

  test('refuses members that disagree, naming the file', () => {
    assert.throws(() => new EnsembleClassifier([fake('a.json', 2, () => 0.5), fake('b.json', 3, () => 0.5)]), (e: unknown) => isInputError(e) && e.location.file === 'b.json' && /same classes: this model has 3, a\.json has 2/.test(e.message));
    assert.throws(() => new EnsembleClassifier([fake('a.json', 2, () => 0.5), fake('c.json', 2, () => 0.5, [5])]), (e: unknown) => isInputError(e) && e.location.file === 'c.json' && /same input/.test(e.message));
    assert.throws(() => new EnsembleClassifier([fake('a.json', 2, () => 0.5)]), /at least 2 models/);
    assert.throws(() => averageProbabilities([new Float32Array(2), new Float32Array(3)]), /output 1 has 3 values, output 0 has 2/);
  });
});

describe('ensemble comparison and finding', () => {
  const result = (id: string, auc: number, tpr: number) => ({ id, metrics: { auc, tprAtFpr: { '0.001': { tpr } } } }) as unknown as AttackResult;

  test('raised only when the ensemble exceeds every member, on attacks all of them ran', () => {
    const members = [
      { model: 'a', testAccuracy: 0.5, attacks: [result('loss', 0.70, 0.02), result('conf', 0.69, 0.01), result('only-a', 0.99, 0.9)] },
      { model: 'b', testAccuracy: 0.6, attacks: [result('loss', 0.72, 0.01), result('conf', 0.60, 0.03)] },
    ];
    const raised = compareLeakage({ members, ensemble: { testAccuracy: 0.65, attacks: [result('loss', 0.80, 0.02), result('conf', 0.7, 0.01)] } });
    assert.ok(raised, 'comparison made');
    // only-a is not shared, so a's best AUC is 0.70, not 0.99.
    assert.deepEqual(raised.members.map((m) => [m.bestAuc, m.worstTpr]), [[0.70, 0.02], [0.72, 0.03]], 'member leakage on common attacks');
    assert.equal(raised.raisedLeakage, true, 'AUC 0.80 exceeds both members');
    const finding = ensembleLeakageFinding(raised, 'x', { file: 'privacy-audit.json' });
    assert.ok(finding && finding.rule === 'ensemble-leakage' && finding.severity === 'medium', 'finding MPL008 at its default severity');
    assert.match(finding.message, /AUC 0\.800 against at most 0\.720/);
    assert.doesNotMatch(finding.message, /TPR at/, 'TPR did not rise: not claimed');
    const notRaised = compareLeakage({ members, ensemble: { testAccuracy: 0.65, attacks: [result('loss', 0.71, 0.02), result('conf', 0.7, 0.02)] } });
    assert.equal(notRaised?.raisedLeakage, false, 'AUC 0.71 is below b, TPR 2% is below b');
    assert.equal(ensembleLeakageFinding(notRaised!, 'x', { file: 'm.json' }), undefined, 'no finding');
    assert.equal(compareLeakage({ members, ensemble: { testAccuracy: 0.5, attacks: [result('other', 0.9, 0.5)] } }), undefined, 'nothing in common');
  });
});

describe('manifest: "model" as a list is an ensemble', () => {
  const file = path.join(os.tmpdir(), 'mpl-ensemble-manifest', 'privacy-audit.json');
  const exists = new Set(['a/model.json', 'b/model.json', 'train.csv', 'test.csv'].map((f) => path.join(path.dirname(file), f)));
  const parse = (model: unknown) => {
    const text = JSON.stringify({ version: 1, audits: [{ name: 'e', model, members: 'train.csv', nonMembers: 'test.csv' }] }, null, 2);
    return { text, ...parseManifest(text, file, { fileExists: (p) => exists.has(p) }) };
  };

  test('builds absolute paths, the first as the audit model', () => {
    const { manifest, problems } = parse(['a/model.json', 'b/model.json']);
    assert.deepEqual(problems, [], 'no problems');
    const spec = manifest!.audits[0];
    assert.deepEqual(spec.ensemble, [path.join(path.dirname(file), 'a/model.json'), path.join(path.dirname(file), 'b/model.json')]);
    assert.equal(spec.model, spec.ensemble![0]);
    assert.equal(parse('a/model.json').manifest!.audits[0].ensemble, undefined, 'a single model is no ensemble');
  });

  test('a list of one, a repeated model, a missing file and a wrong type are errors on the exact value', () => {
    const one = parse(['a/model.json']);
    assert.ok(one.problems.some((p) => p.severity === 'error' && /at least 2 item/.test(p.message)), JSON.stringify(one.problems));
    const twice = parse(['a/model.json', 'a/model.json']);
    assert.ok(twice.problems.some((p) => p.severity === 'error' && /duplicate/.test(p.message)), JSON.stringify(twice.problems));
    const missing = parse(['a/model.json', 'c/model.json']);
    const p = missing.problems.find((x) => /ensemble model file/.test(x.message));
    assert.ok(p, JSON.stringify(missing.problems));
    assert.equal(missing.text.slice(p.range.offset, p.range.offset + p.range.length), '"c/model.json"', 'on the missing entry');
    const number = parse(3);
    assert.ok(number.problems.some((x) => /expected a string or an array, found/.test(x.message)), JSON.stringify(number.problems));
  });
});
