import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../src/engine/artifacts/models';
import { trainDefendedModel, type DefendedModel, type TrainingDefenseName } from '../../src/engine/defenses/training';
import { memberShares } from '../../src/engine/defenses/training/shares';
import { InputError } from '../../src/engine/errors';
import { entryOf, kernelNorm, loadCachedModel, probabilities, request, summarise, type OverfitData, withOverfitData } from './defense-training-fixture';

let data: OverfitData;
const trained = new Map<string, { out: DefendedModel; cacheDir: string }>();

/** Trains (once per test file) the defense with these params, in this thread. */
async function defended(name: TrainingDefenseName, params: Record<string, number> = {}): Promise<{ out: DefendedModel; cacheDir: string }> {
  const key = JSON.stringify([name, params]);
  let entry = trained.get(key);
  if (entry === undefined) {
    const req = request(data, name, params);
    entry = { out: await trainDefendedModel(req), cacheDir: req.cacheDir };
    trained.set(key, entry);
  }
  return entry;
}

/** Squared distance of mean prediction vectors plus squared mean-entropy gap (NeuGuard's target). */
function alignmentGap(member: Float32Array, reference: Float32Array): number {
  const stats = (p: Float32Array) => {
    const n = p.length / 3;
    const mean = [0, 0, 0];
    let entropy = 0;
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) {
      const v = p[i * 3 + k];
      mean[k] += v / n;
      if (v > 0) entropy -= (v * Math.log(v)) / n;
    }
    return { mean, entropy };
  };
  const a = stats(member);
  const b = stats(reference);
  return a.mean.reduce((s, v, k) => s + (v - b.mean[k]) ** 2, 0) + (a.entropy - b.entropy) ** 2;
}

/** KL(average member prediction || average reference prediction). */
function averageKl(member: Float32Array, reference: Float32Array): number {
  const mean = (p: Float32Array) => [0, 1, 2].map((k) => {
    let s = 0;
    for (let i = k; i < p.length; i += 3) s += p[i];
    return s / (p.length / 3);
  });
  const pm = mean(member);
  const pr = mean(reference);
  return pm.reduce((s, v, k) => s + v * Math.log(v / pr[k]), 0);
}

describe('training-time defenses on an overfit-prone task (random labels)', () => {
  withOverfitData((d) => (data = d));

  test('plain retraining memorises the members (the reference point)', async () => {
    const { out } = await defended('none');
    const members = summarise(await probabilities(out.classifier, data.members), data.members);
    const nonMembers = summarise(await probabilities(out.classifier, data.nonMembers), data.nonMembers);
    assert.ok(members.accuracy > 0.75, `member accuracy ${members.accuracy} should be high (memorised)`);
    assert.ok(nonMembers.accuracy < 0.5, `non-member accuracy ${nonMembers.accuracy} should be near chance (random labels)`);
    assert.equal(out.fromCache, false, 'first training is not from the cache');
    assert.ok(out.samplesPerSecond > 0, `samplesPerSecond ${out.samplesPerSecond}`);
    assert.equal(out.dp, undefined, 'no DP accounting without DP-SGD');
  });

  test('l2 shrinks the kernel norm', async () => {
    const plain = await loadCachedModel((await defended('none')).cacheDir);
    const l2 = await loadCachedModel((await defended('l2', { weight: 0.01 })).cacheDir);
    const [a, b] = [kernelNorm(plain), kernelNorm(l2)];
    plain.dispose();
    l2.dispose();
    assert.ok(b < 0.8 * a, `l2 kernel norm ${b} should be well below plain ${a}`);
  });

  test('dropout inserts a Dropout layer before the second Dense layer and lowers member confidence', async () => {
    const { out, cacheDir } = await defended('dropout', { rate: 0.5 });
    const model = await loadCachedModel(cacheDir);
    const classes = model.layers.map((l) => l.getClassName());
    model.dispose();
    assert.deepEqual(classes, ['Dense', 'Dropout', 'Dense'], `layers of the dropout model: ${classes.join(', ')}`);
    const plain = summarise(await probabilities((await defended('none')).out.classifier, data.members), data.members);
    const dropout = summarise(await probabilities(out.classifier, data.members), data.members);
    assert.ok(dropout.meanMaxConfidence < plain.meanMaxConfidence, `dropout member confidence ${dropout.meanMaxConfidence} vs plain ${plain.meanMaxConfidence}`);
  });

  test('label smoothing lowers the maximum confidence on members', async () => {
    const plain = summarise(await probabilities((await defended('none')).out.classifier, data.members), data.members);
    const smooth = summarise(await probabilities((await defended('label-smoothing', { epsilon: 0.3 })).out.classifier, data.members), data.members);
    assert.ok(smooth.meanMaxConfidence < plain.meanMaxConfidence - 0.03, `smoothed ${smooth.meanMaxConfidence} vs plain ${plain.meanMaxConfidence}`);
  });

  test('relaxloss keeps the member loss near its target level instead of near zero', async () => {
    const alpha = 0.7;
    const plain = summarise(await probabilities((await defended('none')).out.classifier, data.members), data.members);
    const relaxed = summarise(await probabilities((await defended('relaxloss', { alpha })).out.classifier, data.members), data.members);
    assert.ok(relaxed.meanLoss > 0.7 * alpha, `relaxloss member loss ${relaxed.meanLoss} should stay near alpha ${alpha}`);
    assert.ok(relaxed.meanLoss > plain.meanLoss, `relaxloss loss ${relaxed.meanLoss} should exceed plain ${plain.meanLoss}`);
  });

  test('early stopping stops before the last epoch on a noisy task and restores the best weights', async () => {
    const { out } = await defended('early-stopping', { patience: 3, validationFraction: 0.2 });
    const note = out.notes.find((n) => n.startsWith('early stopping:'));
    const match = note?.match(/ran (\d+) of (\d+) epochs; restored the weights of epoch (\d+)/);
    assert.ok(match, `expected an early-stopping note, got ${JSON.stringify(out.notes)}`);
    const [ran, max, bestEpoch] = [Number(match[1]), Number(match[2]), Number(match[3])];
    assert.ok(ran < max, `ran ${ran} of ${max} epochs`);
    assert.equal(ran, bestEpoch + 3, 'stops exactly `patience` epochs after the best one');
  });

  test('neuguard narrows the gap between member and reference output distributions', async () => {
    const gap = async (o: DefendedModel) => alignmentGap(await probabilities(o.classifier, data.members), await probabilities(o.classifier, data.reference));
    const plain = await gap((await defended('none')).out);
    const guarded = await gap((await defended('neuguard', { weight: 20 })).out);
    assert.ok(guarded < 0.5 * plain, `neuguard gap ${guarded} should be well below plain ${plain}`);
  });

  test('kl-pruning keeps the sparsity and pulls member and reference predictions together', async () => {
    const sparsity = 0.6;
    const { out, cacheDir } = await defended('kl-pruning', { sparsity, weight: 5 });
    const model = await loadCachedModel(cacheDir);
    for (const w of model.trainableWeights.filter((v) => /kernel$/.test(v.originalName))) {
      const values = w.read().dataSync() as Float32Array;
      const zeros = values.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
      assert.ok(zeros >= Math.floor(sparsity * values.length), `${w.name}: ${zeros} zeros of ${values.length}, expected >= ${sparsity}`);
    }
    model.dispose();
    const target = await loadModel(data.modelFile);
    const targetKl = averageKl(await probabilities(target, data.members), await probabilities(target, data.reference));
    target.dispose();
    const prunedKl = averageKl(await probabilities(out.classifier, data.members), await probabilities(out.classifier, data.reference));
    assert.ok(prunedKl < 0.5 * targetKl, `KL after pruning ${prunedKl} should be well below the target's ${targetKl}`);
  });

  test('ensemble averages k models trained on disjoint shares', async () => {
    const { out, cacheDir } = await defended('ensemble', { members: 3 });
    const p = await probabilities(out.classifier, data.nonMembers);
    const parts: Float32Array[] = [];
    for (let i = 0; i < 3; i++) {
      const member = await loadModel(path.join(entryOf(cacheDir), `model-${i}`, 'model.json'));
      parts.push(await probabilities(member, data.nonMembers));
      member.dispose();
    }
    assert.ok(parts[0].some((v, i) => Math.abs(v - parts[1][i]) > 1e-3), 'the ensemble members are different models');
    for (let i = 0; i < p.length; i++) {
      const mean = (parts[0][i] + parts[1][i] + parts[2][i]) / 3;
      assert.ok(Math.abs(p[i] - mean) < 1e-6, `output ${i}: ${p[i]} is not the average ${mean}`);
    }
    assert.equal(fs.readdirSync(entryOf(cacheDir)).filter((n) => n.startsWith('model-')).length, 3, 'three models cached');
  });

  test('ensemble shares are disjoint and cover every member', () => {
    const shares = memberShares(150, 4, 7);
    const seen = new Set<number>();
    for (const share of shares) for (const i of share) {
      assert.ok(!seen.has(i), `record ${i} is in two shares`);
      seen.add(i);
    }
    assert.equal(seen.size, 150, 'every member is in a share');
    assert.deepEqual(shares.map((s) => s.length), [37, 38, 37, 38], 'sizes differ by at most one');
  });

  test('bad params and missing reference records are InputErrors naming the field', async () => {
    await assert.rejects(trainDefendedModel(request(data, 'dropout', { rate: 1.5 })),
      (e: unknown) => e instanceof InputError && e.location.field === 'defense.dropout.params.rate' && /\[?0, 1\)/.test(e.message),
      'dropout rate 1.5');
    await assert.rejects(trainDefendedModel(request(data, 'dp-sgd', { noiseMultiplier: 1, clipNorm: 1 })),
      (e: unknown) => e instanceof InputError && e.location.field === 'defense.dp-sgd.params.delta', 'missing delta');
    await assert.rejects(trainDefendedModel({ ...request(data, 'neuguard', { weight: 1 }), reference: undefined }),
      (e: unknown) => e instanceof InputError && e.location.field === 'reference', 'neuguard without reference');
    await assert.rejects(trainDefendedModel({ ...request(data, 'kl-pruning', { sparsity: 0.5, weight: 1 }), targetModelFile: '/nowhere/model.h5' }),
      (e: unknown) => e instanceof InputError && e.location.file === '/nowhere/model.h5' && /model\.json/.test(e.message), 'kl-pruning from a non-TF.js target');
    await assert.rejects(trainDefendedModel(request(data, 'l2', { weight: 0.01 }, { epochs: 0 })),
      (e: unknown) => e instanceof InputError && e.location.field === 'defense.l2.train.epochs', 'zero epochs');
  });
});
