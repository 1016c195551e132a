import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dpSgdEpsilon } from '../../src/engine/defenses/rdp-accountant';
import { trainDefendedModel } from '../../src/engine/defenses/training';
import { probabilities, request, summarise, TRAIN, type OverfitData, temporaryDir, withOverfitData } from './defense-training-fixture';

let data: OverfitData;

describe('DP-SGD defended retraining', () => {
  withOverfitData((d) => (data = d));

  test('reports the epsilon the RDP accountant gives for exactly the run', async () => {
    const params = { noiseMultiplier: 1.1, clipNorm: 1, delta: 1e-5 };
    const out = await trainDefendedModel(request(data, 'dp-sgd', params));
    const q = TRAIN.batchSize / data.members.count;
    // Steps as TF Privacy counts them: ceil(epochs * n / batch size) = ceil(40 * 150 / 32).
    const steps = Math.ceil((TRAIN.epochs * data.members.count) / TRAIN.batchSize);
    assert.equal(steps, 188, 'the step count of this setup');
    const expected = dpSgdEpsilon({ samplingRate: q, noiseMultiplier: 1.1, steps, delta: 1e-5 });
    assert.ok(out.dp, 'dp-sgd reports its privacy spending');
    assert.equal(out.dp.steps, steps, 'steps');
    assert.equal(out.dp.samplingRate, q, 'sampling rate = batch size / members');
    assert.equal(out.dp.epsilon, expected.epsilon, 'epsilon');
    assert.equal(out.dp.order, expected.optimalOrder, 'optimal order');
    assert.equal(out.dp.delta, 1e-5, 'delta');
    // The tighter conversion current DP libraries report, beside the classic one and never above it.
    const improved = dpSgdEpsilon({ samplingRate: q, noiseMultiplier: 1.1, steps, delta: 1e-5, conversion: 'improved' });
    assert.equal(out.dp.epsilonImproved, improved.epsilon, 'improved-conversion epsilon');
    assert.ok(improved.epsilon < expected.epsilon);
    assert.ok(out.notes.some((n) => n.includes(`epsilon ${expected.epsilon.toFixed(3)}`) && n.includes(`${improved.epsilon.toFixed(3)} by the improved one`)), `notes: ${JSON.stringify(out.notes)}`);
    assert.ok(!out.notes.some((n) => n.includes('loop')), 'a Dense stack is vectorised');
  });

  test('huge noise leaves member accuracy near chance while plain retraining memorises', async () => {
    const plain = summarise(await probabilities((await trainDefendedModel(request(data, 'none'))).classifier, data.members), data.members);
    const noisy = await trainDefendedModel(request(data, 'dp-sgd', { noiseMultiplier: 1000, clipNorm: 1, delta: 1e-5 }));
    const members = summarise(await probabilities(noisy.classifier, data.members), data.members);
    assert.ok(plain.accuracy > 0.75, `plain member accuracy ${plain.accuracy}`);
    assert.ok(members.accuracy < 0.5, `DP-SGD (sigma 1000) member accuracy ${members.accuracy} should be near chance (1/3)`);
    // The largest default RDP order (512) floors epsilon at log(1/delta) / 511 = 0.0225.
    assert.ok((noisy.dp?.epsilon ?? Infinity) < 0.05, `epsilon ${noisy.dp?.epsilon} should be tiny`);
  });

  test('the per-example loop path trains the same model as the vectorised path', async () => {
    // A Dropout(rate 0) layer makes the architecture "not a Dense stack" without changing
    // the function or the seeded initial weights, so the generic loop path must agree.
    const json = JSON.parse(fs.readFileSync(data.modelFile, 'utf8')) as { modelTopology: { config: { layers: unknown[] } } };
    const layers = json.modelTopology.config.layers;
    layers.splice(1, 0, { class_name: 'Dropout', config: { rate: 0, name: 'identity_dropout', trainable: true, dtype: 'float32' } });
    const dir = temporaryDir('mpl-dp-loop-');
    const architectureFile = path.join(dir, 'model.json');
    fs.writeFileSync(architectureFile, JSON.stringify({ format: 'layers-model', modelTopology: json.modelTopology, weightsManifest: [] }));
    const params = { noiseMultiplier: 0.8, clipNorm: 0.5, delta: 1e-5 };
    const vectorised = await trainDefendedModel(request(data, 'dp-sgd', params, { epochs: 3 }));
    const loop = await trainDefendedModel({ ...request(data, 'dp-sgd', params, { epochs: 3 }), architectureFile });
    assert.ok(loop.notes.some((n) => n.includes('per-example gradients computed in a loop')), `notes: ${JSON.stringify(loop.notes)}`);
    assert.equal(loop.dp?.epsilon, vectorised.dp?.epsilon, 'same run, same epsilon');
    const a = await probabilities(vectorised.classifier, data.nonMembers);
    const b = await probabilities(loop.classifier, data.nonMembers);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    assert.ok(maxDiff < 1e-4, `vectorised and loop models differ by ${maxDiff}`);
    const plainInit = await probabilities((await trainDefendedModel(request(data, 'none', {}, { epochs: 3 }))).classifier, data.nonMembers);
    assert.ok(a.some((v, i) => Math.abs(v - plainInit[i]) > 1e-3), 'DP-SGD trains a different model than plain training');
  });

  test('is deterministic given the seed, and the seed matters', async () => {
    const params = { noiseMultiplier: 1, clipNorm: 1, delta: 1e-5 };
    const first = await probabilities((await trainDefendedModel(request(data, 'dp-sgd', params, { epochs: 5 }))).classifier, data.nonMembers);
    const again = await probabilities((await trainDefendedModel(request(data, 'dp-sgd', params, { epochs: 5 }))).classifier, data.nonMembers);
    const other = await probabilities((await trainDefendedModel(request(data, 'dp-sgd', params, { epochs: 5, seed: 8 }))).classifier, data.nonMembers);
    assert.deepEqual(again, first, 'same seed, same model');
    assert.ok(other.some((v, i) => Math.abs(v - first[i]) > 1e-4), 'another seed gives another model');
  });
});
