import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyPreprocess, AuditSettingError, standardisationOf } from '../../src/engine/artifacts/datasets/preprocess';
import { arrangeLayouts, storedLayout, toModelLayout, transposeRecords } from '../../src/engine/audit/image-layout';
import type { Classifier } from '../../src/engine/artifacts/models';
import { loadDataset } from '../../src/engine/artifacts/datasets';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'plausibility');
const scaler = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'standard-scaler.json'), 'utf8')) as { rows: number[][]; mean: number[]; scale: number[]; transformed: number[][] };
const perChannel = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'per-channel.json'), 'utf8')) as { hwc: number[][][][]; mean: number[]; std: number[]; chw: number[][][][] };

const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

/** Float32 storage: compare within a few float32 ulps of the float64 reference. */
function assertClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tol = 4 * Math.max(Math.abs(expected[i]), 1) * 2 ** -23;
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('per-feature mean and std from a StandardScaler\'s NPY files reproduce StandardScaler.transform', async () => {
  const spec = { path: 'x.csv', mean: path.join(FIXTURES, 'scaler-mean.npy'), std: path.join(FIXTURES, 'scaler-scale.npy') };
  const stats = (await standardisationOf(spec))!;
  assert.deepEqual([...stats.mean], scaler.mean, 'mean_ read exactly (float64)');
  assert.deepEqual([...stats.std], scaler.scale, 'scale_ read exactly (float64)');
  const features = Float32Array.from(scaler.rows.flat());
  applyPreprocess(features, [5], { standardisation: stats }, 'x.csv');
  assertClose(features, scaler.transformed.flat(), 'transformed');
});

test('the whole CSV loads standardised: loadDataset applies the NPY statistics to every record', async () => {
  const ds = await loadDataset({ path: path.join(FIXTURES, 'tabular-members.csv'), label: 'label', mean: path.join(FIXTURES, 'scaler-mean.npy'), std: path.join(FIXTURES, 'scaler-scale.npy') });
  assertClose(ds.features.subarray(0, scaler.transformed.length * 5), scaler.transformed.flat(), 'first rows');
  // Standardised with the members' own statistics: each column has mean ~0 and deviation ~1 (float32 sums).
  for (let j = 0; j < 5; j++) {
    let sum = 0;
    let sq = 0;
    for (let r = 0; r < ds.count; r++) (sum += ds.features[r * 5 + j]), (sq += ds.features[r * 5 + j] ** 2);
    assert.ok(Math.abs(sum / ds.count) < 1e-5, `column ${j} mean ${sum / ds.count}`);
    assert.ok(Math.abs(sq / ds.count - 1) < 1e-5, `column ${j} variance ${sq / ds.count}`);
  }
});

test('per-channel mean and std follow torchvision\'s Normalize on channels-last and channels-first records', () => {
  const settings = { scale: 1 / 255, standardisation: { mean: Float64Array.from(perChannel.mean), std: Float64Array.from(perChannel.std) } };
  const expectedChw = flat(perChannel.chw);
  // Stored channels-last [2, 3, 3]: channel = last axis; then transposed to the model's channels-first.
  const hwc = Float32Array.from(flat(perChannel.hwc));
  applyPreprocess(hwc, [2, 3, 3], settings, 'images.npy');
  assertClose(transposeRecords(hwc, 2, 'nhwc', [2, 3, 3]), expectedChw, 'nhwc -> chw');
  // Stored channels-first [3, 2, 3]: 3 at both ends, so the layout says which axis is the channel.
  const chwRaw = Float32Array.from(flat(perChannel.hwc.map((im) => [0, 1, 2].map((c) => im.map((row) => row.map((px) => px[c]))))));
  assert.throws(() => applyPreprocess(Float32Array.from(chwRaw), [3, 2, 3], settings, 'images.npy'), /set "layout"/);
  applyPreprocess(chwRaw, [3, 2, 3], { ...settings, layout: 'nchw' }, 'images.npy');
  assertClose(chwRaw, expectedChw, 'nchw');
  // Flat records need the layout to know where the channel is.
  const flatRecords = Float32Array.from(flat(perChannel.hwc));
  applyPreprocess(flatRecords, [18], { ...settings, layout: 'nhwc' }, 'images.npy');
  assertClose(transposeRecords(flatRecords, 2, 'nhwc', [2, 3, 3]), expectedChw, 'flat nhwc');
});

test('mean/std counts that fit neither one value, the features nor the channels are errors on their key', () => {
  const stats = (mean: number[], std: number[]) => ({ standardisation: { mean: Float64Array.from(mean), std: Float64Array.from(std) } });
  assert.throws(() => applyPreprocess(new Float32Array(10), [5], stats([1, 2, 3, 4], [1]), 'tab.csv'), (e: unknown) => {
    assert.ok(e instanceof AuditSettingError);
    assert.deepEqual(e.auditKey, ['preprocess', 'mean']);
    assert.match(e.message, /preprocess\.mean has 4 values; records of shape \[5\] \(5 values\) take 1, 5 \(one per feature\) or one per channel/);
    return true;
  });
  assert.throws(() => applyPreprocess(new Float32Array(36), [18], stats([0.5, 0.5, 0.5], [1]), 'img.npy'), (e: unknown) => {
    assert.ok(e instanceof AuditSettingError);
    assert.match(e.message, /set "layout" \("nhwc" or "nchw"\) so the channel axis is known/);
    return true;
  });
  assert.throws(() => applyPreprocess(new Float32Array(36), [2, 2, 9], stats([0], [1, 1, 1]), 'img.npy'), (e: unknown) => {
    assert.ok(e instanceof AuditSettingError);
    assert.deepEqual(e.auditKey, ['preprocess', 'std']);
    assert.match(e.message, /3 is not the channel count of either layout/);
    return true;
  });
  assert.throws(() => applyPreprocess(new Float32Array(5), [5], stats([0], [0]), 'tab.csv'), /preprocess\.std value 0 is 0; expected a positive finite standard deviation/);
});

test('a mean file that is not an NPY is an error on preprocess.mean naming the file', async () => {
  const bad = path.join(FIXTURES, 'reference.json');
  await assert.rejects(standardisationOf({ path: 'x.csv', mean: bad }), (e: unknown) => {
    assert.ok(e instanceof AuditSettingError);
    assert.deepEqual(e.auditKey, ['preprocess', 'mean']);
    assert.match(e.message, /reference\.json/);
    assert.match(e.message, /expected an NPY file/);
    return true;
  });
});

test('records reach the model\'s layout by a transpose: the stored layout comes from the setting, the shape, or detection', () => {
  // A channels-first model [3, 4, 5]: channels-last [4, 5, 3] records are transposed, [3, 4, 5] kept, flat ones detected.
  assert.equal(storedLayout([4, 5, 3], [3, 4, 5], undefined), 'nhwc');
  assert.equal(storedLayout([3, 4, 5], [3, 4, 5], undefined), 'nchw');
  assert.equal(storedLayout([60], [3, 4, 5], undefined), 'detect');
  assert.equal(storedLayout([60], [3, 4, 5], 'nhwc'), 'nhwc');
  // One channel: both layouts are the same bytes; flat models have no layout.
  assert.equal(storedLayout([784], [28, 28, 1], undefined), undefined);
  assert.equal(storedLayout([8], [8], 'nhwc'), undefined);
  // A model whose input says nothing about its channel axis cannot take an explicit layout.
  assert.throws(() => storedLayout([1000], [10, 10, 10], 'nchw'), /does not say where its channel axis is/);
  // The transpose moves each value to its place: record r, pixel (y, x), channel k.
  const h = 4, w = 5, c = 3, n = 2;
  const hwc = Float32Array.from({ length: n * h * w * c }, (_, i) => i);
  const ds = toModelLayout({ source: 's', count: n, featureShape: [h * w * c], features: hwc, labels: new Int32Array(n) }, 'nhwc', [c, h, w]);
  assert.deepEqual(ds.featureShape, [c, h, w]);
  for (let r = 0; r < n; r++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    assert.equal(ds.features[r * 60 + (k * h + y) * w + x], hwc[r * 60 + (y * w + x) * c + k]);
  }
  // And back.
  assert.deepEqual(transposeRecords(ds.features, n, 'nchw', [h, w, c]), hwc);
});

test('per-channel statistics on flat records for a flat model need "layout": an error on that key', async () => {
  const ds = await loadDataset({ path: path.join(FIXTURES, 'images-flat-members.npy'), labelsPath: path.join(FIXTURES, 'image-members-labels.npy'), mean: [0.3, 0.3, 0.3], std: [0.2, 0.2, 0.2] });
  assert.ok(ds.channelStats, 'deferred: flat records say nothing about the channel axis');
  const flatModel = { file: 'mlp.onnx', format: 'onnx', inputShape: [192], numClasses: 3, parameterCount: 0, predictProbabilities: async () => new Float32Array(), dispose() {} } satisfies Classifier;
  await assert.rejects(arrangeLayouts(flatModel, undefined, [{ data: ds, stored: ds.featureShape }], ds), (e: unknown) => {
    assert.ok(e instanceof AuditSettingError);
    assert.deepEqual(e.auditKey, ['layout']);
    assert.match(e.message, /set "layout" \("nhwc" or "nchw"\)/);
    return true;
  });
  // With "layout" the loader places the channel itself and nothing is deferred.
  const placed = await loadDataset({ path: path.join(FIXTURES, 'images-flat-members.npy'), labelsPath: path.join(FIXTURES, 'image-members-labels.npy'), mean: [0.3, 0.3, 0.3], std: [0.2, 0.2, 0.2], layout: 'nhwc' });
  assert.equal(placed.channelStats, undefined);
  assert.ok(Math.abs(placed.features[0] - (ds.features[0] - 0.3) / 0.2) < 1e-4);
});

test('layout detection samples members across the file, so records sorted by class still decide it', async () => {
  // 3,000 flat records sorted by class, stored channels-first for a [3, 5, 5] model that reads
  // its class off input value 25 (channel 1, first pixel): only the stored layout puts it there.
  const n = 3000;
  const features = new Float32Array(n * 75);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) (labels[r] = Math.floor(r / 1000)), (features[r * 75 + 25] = labels[r]);
  const members = { source: 'm.npy', count: n, featureShape: [75], features, labels };
  const model = {
    file: 'cnn.onnx', format: 'onnx', inputShape: [3, 5, 5], numClasses: 3, parameterCount: 0, dispose() {},
    predictProbabilities: async (x: Float32Array, _shape: number[], count: number) => {
      const p = new Float32Array(count * 3);
      for (let r = 0; r < count; r++) p[r * 3 + Math.round(x[r * 75 + 25])] = 1;
      return p;
    },
  } satisfies Classifier;
  const { datasets: [arranged], choice } = await arrangeLayouts(model, undefined, [{ data: members, stored: [75] }], members);
  // The first 1,000 records alone (all class 0) would tie, and a tie keeps channels-last.
  assert.equal(choice!.stored, 'nchw');
  // Every third record of the file: 334 of class 0, right under either layout.
  assert.deepEqual(choice!.accuracy, { nhwc: 0.334, nchw: 1 });
  assert.equal(choice!.records, 1000);
  assert.deepEqual(arranged.featureShape, [3, 5, 5]);
  assert.equal(arranged.features, features, 'stored in the model layout: no copy');
});
