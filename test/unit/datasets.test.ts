import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { unzipSync, zipSync } from 'fflate';
import type { Dataset, DatasetSpec } from '../../src/engine/artifacts/dataset';
import { checkDatasetForModel, classCounts, loadDataset } from '../../src/engine/artifacts/datasets';
import { formatFromName } from '../../src/engine/artifacts/datasets/format';
import { parseIdx } from '../../src/engine/artifacts/datasets/idx';
import { parseNpy } from '../../src/engine/artifacts/datasets/npy';
import { readDataFile } from '../../src/engine/artifacts/datasets/read-file';
import type { NdArray } from '../../src/engine/artifacts/datasets/ndarray';
import { InputError, type SourceLocation } from '../../src/engine/errors';

const TEXT = path.resolve(__dirname, '../fixtures/datasets/text');
const BIN = path.resolve(__dirname, '../fixtures/datasets/binary');
/** Written by scripts/make-dataset-fixtures.py from numpy's own reading of each file. */
const EXPECTED: Record<'npy' | 'idx', Record<string, { shape: number[]; values: number[] }>> = JSON.parse(
  fs.readFileSync(path.join(BIN, 'expected.json'), 'utf8'),
);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'datasets-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeTmp(name: string, data: Uint8Array | string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, data);
  return file;
}

/** The records of features.npy / stored-xy.npz etc.: three 2x2 records. */
const FEATURES = [0, 0.5, 1, 2, 3, 4, 5, 6, -1, 7.25, 8, 9];
const LABELS = [2, 0, 1];

function assertDataset(ds: Dataset, featureShape: number[], features: number[], labels: number[]): void {
  assert.equal(ds.count, labels.length);
  assert.deepEqual(ds.featureShape, featureShape);
  assert.deepEqual(Array.from(ds.features), features.map(Math.fround));
  assert.deepEqual(Array.from(ds.labels), labels);
}

/** Asserts an InputError at exactly `where` (every listed location field) whose message matches. */
async function assertInputError(run: () => unknown, where: Partial<SourceLocation>, message: RegExp): Promise<void> {
  await assert.rejects(async () => run(), (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    for (const [key, value] of Object.entries(where)) {
      assert.equal(e.location[key as keyof SourceLocation], value, `location.${key} in "${e.message}"`);
    }
    assert.match(e.message, message);
    return true;
  });
}

const text = (name: string) => path.join(TEXT, name);
const bin = (name: string) => path.join(BIN, name);
const load = (spec: DatasetSpec) => loadDataset(spec, TEXT);
const loadBin = (spec: DatasetSpec) => loadDataset(spec, BIN);
const values = (arr: NdArray) => Array.from({ length: arr.shape.reduce((a, b) => a * b, 1) }, (_, i) => arr.get(i));

describe('format inference', () => {
  test('maps extensions, MNIST names and .gz variants to formats', () => {
    const cases: [string, string | undefined][] = [
      ['a.csv', 'csv'], ['a.CSV.gz', 'csv'], ['a.tsv', 'tsv'], ['a.jsonl', 'jsonl'], ['a.NDJSON', 'jsonl'],
      ['a.npy.gz', 'npy'], ['a.npz', 'npz'], ['a.idx', 'idx'], ['train-images-idx3-ubyte.gz', 'idx'],
      ['t10k-labels.idx1-ubyte', 'idx'], ['a.parquet', 'parquet'], ['a.feather', 'arrow'], ['a.xls', undefined], ['README', undefined],
    ];
    for (const [name, format] of cases) assert.equal(formatFromName(name), format, name);
  });

  test('an unknown extension without spec.format is an InputError listing what is accepted', async () => {
    const file = writeTmp('data.xls', 'x');
    await assertInputError(() => loadDataset({ path: file }), { file }, /cannot tell the dataset format from the name "data.xls": expected \.csv, \.tsv/);
  });
});

describe('CSV and TSV', () => {
  test('string labels in a "Class" column become class indices in sorted order', async () => {
    const ds = await load({ path: 'iris.csv' });
    assert.equal(ds.source, text('iris.csv'));
    assertDataset(ds, [2], [5.1, 3.5, 7.0, 3.2, 6.3, 3.3, 4.9, 3.0], [0, 1, 2, 0]);
  });

  test('TSV with the default label column in the middle; blank lines skipped', async () => {
    assertDataset(await load({ path: 'numeric.tsv' }), [2], [1, -2.5, 300, 0.5, -0, 7], [0, 2, 1]);
  });

  test('label column by 0-based index or by name, case-insensitively', async () => {
    for (const label of [0, 'A']) {
      assertDataset(await load({ path: 'numeric.tsv', label }), [2], [0, -2.5, 2, 0.5, 1, 7], [1, 300, 0]);
    }
  });

  test('a gzipped CSV reads like the plain one', async () => {
    const file = writeTmp('iris.csv.gz', zlib.gzipSync(fs.readFileSync(text('iris.csv'))));
    assertDataset(await loadDataset({ path: file }), [2], [5.1, 3.5, 7.0, 3.2, 6.3, 3.3, 4.9, 3.0], [0, 1, 2, 0]);
  });

  test('with labelsPath every column is a feature', async () => {
    const file = writeTmp('two.csv', 'a,label\n1,2\n3,4\n');
    assertDataset(await loadDataset({ path: file, labelsPath: text('labels-2.txt') }), [2], [1, 2, 3, 4], [1, 0]);
  });

  const cases: [string, Partial<SourceLocation>, RegExp][] = [
    ['bad-non-numeric.csv', { line: 3, column: 2, record: 1, field: 'x2' }, /found "abc", expected a number$/],
    ['bad-nan-feature.csv', { line: 3, column: 2, field: 'x2' }, /found "NaN", expected a finite number/],
    ['bad-ragged.csv', { line: 3, record: 1 }, /expected 3 fields as in the header, found 2$/],
    ['bad-empty-label.csv', { line: 3, column: 3, field: 'label' }, /empty label, expected a class index or class name$/],
    ['bad-float-label.csv', { line: 3, column: 3, field: 'label' }, /label 1\.5 is not an integer; expected a class index/],
    ['bad-negative-label.csv', { line: 3, column: 3 }, /label -1 is negative; class indices start at 0/],
    ['bad-mixed-labels.csv', { line: 3, column: 3 }, /label "1" is a number but the first label \("cat", line 2\) is a class name/],
    ['bad-no-label-column.csv', { line: 1 }, /no label column: expected one named label, target, y, class .*the header has "x1", "x2", "outcome"$/],
    ['bad-empty.csv', {}, /file is empty; expected a header row/],
    ['bad-header-only.csv', { line: 2 }, /file has a header row but no records$/],
    ['bad-unclosed-quote.csv', { line: 3 }, /malformed CSV: Quote Not Closed/],
  ];
  for (const [name, where, message] of cases) {
    test(`${name} is rejected with its position`, async () => {
      await assertInputError(() => load({ path: name }), { file: text(name), ...where }, message);
    });
  }

  test('a named label column that is missing lists the header', async () => {
    await assertInputError(() => load({ path: 'iris.csv', label: 'kind' }), { file: text('iris.csv'), line: 1 },
      /no label column "kind"; the header has "sepal_length", "sepal_width", "Class"$/);
    await assertInputError(() => load({ path: 'iris.csv', label: 3 }), { line: 1 }, /label column index 3 is out of range: expected 0\.\.2/);
  });

  test('a label column and labelsPath together are refused', async () => {
    await assertInputError(() => load({ path: 'iris.csv', label: 'Class', labelsPath: 'labels-2.txt' }), { file: text('iris.csv') },
      /both a label column \("Class"\) and labelsPath are set/);
    await assertInputError(() => load({ path: 'nested.jsonl', label: 'label', labelsPath: 'labels-2.txt' }), { file: text('nested.jsonl'), line: 1 },
      /both a label key \("label"\) and labelsPath are set/);
  });

  test('a value beyond float32 range is refused at its cell', async () => {
    const file = writeTmp('big.csv', 'x,y\n1e39,0\n');
    await assertInputError(() => loadDataset({ path: file }), { file, line: 2, column: 1, field: 'x' }, /found 1e39, expected a number within float32 range/);
  });
});

describe('JSON Lines', () => {
  test('nested "features" arrays keep their shape; CRLF and blank lines are fine', async () => {
    assertDataset(await load({ path: 'nested.jsonl' }), [2, 2], FEATURES, LABELS);
  });

  test('numeric keys in the first line\'s order, string labels sorted, non-numeric keys ignored', async () => {
    assertDataset(await load({ path: 'keyed.ndjson' }), [2], [1.5, -2, 3, 4], [1, 0]);
  });

  const cases: [string, Partial<SourceLocation>, RegExp][] = [
    ['bad-invalid-json.jsonl', { line: 2, record: 1 }, /invalid JSON: /],
    ['bad-shape.jsonl', { line: 2, record: 1, field: 'x' }, /expected an array of 2 \(features have shape \[2\] as in the first record\), found an array of 3$/],
    ['bad-missing-label.jsonl', { line: 2, record: 1, field: 'y' }, /expected a class index or class name, found no label$/],
  ];
  for (const [name, where, message] of cases) {
    test(`${name} is rejected with its line`, async () => {
      await assertInputError(() => load({ path: name }), { file: text(name), ...where }, message);
    });
  }

  test('a non-number feature names its key; a non-object line is refused', async () => {
    const file = writeTmp('bad-key.jsonl', '{"a": 1, "label": 0}\n\n{"a": "1", "label": 1}\n[1, 2]\n');
    await assertInputError(() => loadDataset({ path: file }), { file, line: 3, field: 'a' }, /expected a number, found "1"$/);
    const other = writeTmp('array.jsonl', '[1, 2]\n');
    await assertInputError(() => loadDataset({ path: other }), { file: other, line: 1 }, /expected a JSON object per line, found an array$/);
  });
});

describe('NPY', () => {
  for (const [name, expected] of Object.entries(EXPECTED.npy)) {
    test(`${name} reads as numpy reads it`, () => {
      const arr = parseNpy(fs.readFileSync(bin(name)), { file: bin(name) });
      assert.deepEqual(arr.shape, expected.shape);
      assert.deepEqual(values(arr), expected.values);
    });
  }

  test('features plus an NPY labels file, little- and big-endian', async () => {
    assertDataset(await loadBin({ path: 'features.npy', labelsPath: 'labels.npy' }), [2, 2], FEATURES, LABELS);
    assertDataset(await loadBin({ path: 'features-be.npy', labelsPath: 'labels.npy' }), [2, 2], FEATURES, LABELS);
  });

  test('a fortran-order array is transposed to row-major records', async () => {
    const ds = await loadBin({ path: 'fortran.npy', labelsPath: text('labels-2.txt') });
    assertDataset(ds, [3, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [1, 0]);
  });

  const cases: [DatasetSpec, Partial<SourceLocation>, RegExp][] = [
    [{ path: 'object.npy', labelsPath: 'labels.npy' }, { file: bin('object.npy') }, /array of Python objects \(dtype '\|O'\) refused: it can only be read by unpickling/],
    [{ path: 'truncated.npy', labelsPath: 'labels.npy' }, { file: bin('truncated.npy') }, /truncated NPY data: shape \[3, 2, 2\] of <f4 needs 48 bytes, found 43$/],
    [{ path: 'structured.npy', labelsPath: 'labels.npy' }, {}, /structured \(record\) arrays are not supported/],
    [{ path: 'complex.npy', labelsPath: 'labels.npy' }, {}, /unsupported dtype '<c8'; expected bool/],
    [{ path: 'features-nan.npy', labelsPath: 'labels.npy' }, { record: 1 }, /feature value 1 of record 1 is NaN; expected finite numbers$/],
    [{ path: 'features.npy' }, { file: bin('features.npy') }, /NPY file holds features only; set labelsPath/],
    [{ path: 'features.npy', labelsPath: 'labels-onehot.npy' }, { file: bin('labels-onehot.npy') }, /found shape \[3, 3\] \(one-hot labels\?/],
    [{ path: 'features.npy', labelsPath: 'labels-float.npy' }, { record: 1 }, /label 0\.5 of record 1 is not an integer/],
    [{ path: 'features.npy', labelsPath: 'labels-negative.npy' }, { file: bin('labels-negative.npy'), record: 1 }, /label -1 of record 1 is negative/],
  ];
  for (const [spec, where, message] of cases) {
    test(`${spec.path} with labels ${spec.labelsPath ?? '(none)'} is rejected`, async () => {
      await assertInputError(() => loadBin(spec), where, message);
    });
  }

  test('a wrong magic, an unknown version and a malformed header are refused', () => {
    const header = (major: number, dict: string) => {
      const head = Buffer.from(dict.padEnd(54) + '\n', 'latin1');
      return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0, head.length, 0]), head]);
    };
    const where = { file: 'x.npy' };
    assert.throws(() => parseNpy(Buffer.from('PK\x03\x04 not numpy'), where), /not an NPY file: expected it to start with \\x93NUMPY, found 50 4b 03 04 20 6e$/);
    assert.throws(() => parseNpy(header(4, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"), where), /unsupported NPY format version 4\.0; expected 1\.0, 2\.0 or 3\.0$/);
    assert.throws(() => parseNpy(header(1, "{'descr': '<f4', 'shape': (1,), }"), where), /malformed NPY header: expected a header like/);
  });
});

describe('NPZ', () => {
  test('stored and deflated archives, with x/y and features/labels member names', async () => {
    const compression = (name: string) => {
      const methods: number[] = [];
      unzipSync(fs.readFileSync(bin(name)), { filter: (f) => (methods.push(f.compression), false) });
      return new Set(methods);
    };
    assert.deepEqual(compression('stored-xy.npz'), new Set([0]));
    assert.deepEqual(compression('deflated-features-labels.npz'), new Set([8]));
    assertDataset(await loadBin({ path: 'stored-xy.npz' }), [2, 2], FEATURES, LABELS);
    assertDataset(await loadBin({ path: 'deflated-features-labels.npz' }), [2, 2], FEATURES, LABELS);
  });

  test('featuresKey x_test pairs with y_test', async () => {
    assertDataset(await loadBin({ path: 'keras-style.npz', featuresKey: 'x_test' }), [2, 2], FEATURES.slice(0, 4), [2]);
  });

  test('unknown member names are listed', async () => {
    await assertInputError(() => loadBin({ path: 'unknown-keys.npz' }), { file: bin('unknown-keys.npz') },
      /no features member: expected one of x\/y, features\/labels, X\/y, data\/target, or set featuresKey\/labelsKey; the archive has "images.npy", "classes.npy"$/);
    await assertInputError(() => loadBin({ path: 'keras-style.npz', labelsKey: 'y_val', featuresKey: 'x_train' }), {},
      /no member "y_val" \(labelsKey\); the archive has "x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy"$/);
  });

  test('an object-array member is refused without unpickling, naming the member', async () => {
    await assertInputError(() => loadBin({ path: 'object-member.npz' }), { file: bin('object-member.npz'), field: 'x.npy' }, /array of Python objects/);
  });

  test('features and labels members of different lengths', async () => {
    const file = writeTmp('short.npz', zipSync({ 'x.npy': fs.readFileSync(bin('features.npy')), 'y.npy': fs.readFileSync(bin('labels-2.npy')) }));
    await assertInputError(() => loadDataset({ path: file }), { file }, /has 3 records of features but 2 labels; expected one label per record$/);
  });

  test('a NaN inside a member names the member and record', async () => {
    const file = writeTmp('nan.npz', zipSync({ 'x.npy': fs.readFileSync(bin('features-nan.npy')), 'y.npy': fs.readFileSync(bin('labels.npy')) }));
    await assertInputError(() => loadDataset({ path: file }), { file, field: 'x.npy', record: 1 }, /feature value 1 of record 1 is NaN/);
  });

  test('a member declaring more than 2 GiB is refused before it is inflated', async () => {
    const zip = zipSync({ 'x.npy': fs.readFileSync(bin('features.npy')), 'y.npy': fs.readFileSync(bin('labels.npy')) }, { level: 0 });
    // Forge the first central-directory entry's uncompressed size (offset 24) to ~4 GiB.
    const central = Buffer.from(zip).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    new DataView(zip.buffer, zip.byteOffset).setUint32(central + 24, 0xfffffff0, true);
    const file = writeTmp('bomb.npz', zip);
    await assertInputError(() => loadDataset({ path: file }), { file, field: 'x.npy' }, /member expands to 4\.0 GiB; decompressed members must be smaller than 2\.0 GiB$/);
  });

  test('a file that is not a zip is refused', async () => {
    const file = writeTmp('not.npz', 'hello');
    await assertInputError(() => loadDataset({ path: file }), { file }, /not a readable NPZ \(zip\) archive/);
  });
});

describe('IDX', () => {
  for (const [name, expected] of Object.entries(EXPECTED.idx)) {
    test(`${name} reads as numpy wrote it`, () => {
      const arr = parseIdx(fs.readFileSync(bin(name)), bin(name));
      assert.deepEqual(arr.shape, expected.shape);
      assert.deepEqual(values(arr), expected.values);
    });
  }

  const images = [0, 255, 16, 32, 1, 2, 3, 4, 250, 0, 0, 7];
  test('MNIST-style images and labels, plain and gzipped', async () => {
    assertDataset(await loadBin({ path: 'images-idx3-ubyte', labelsPath: 'labels-idx1-ubyte' }), [2, 2], images, [9, 0, 4]);
    assertDataset(await loadBin({ path: 'images-idx3-ubyte.gz', labelsPath: 'labels-idx1-ubyte.gz' }), [2, 2], images, [9, 0, 4]);
  });

  test('scale and offset apply to features', async () => {
    const ds = await loadBin({ path: 'images-idx3-ubyte.gz', labelsPath: 'labels-idx1-ubyte.gz', scale: 1 / 255, offset: -0.5 });
    assert.deepEqual(Array.from(ds.features), images.map((v) => Math.fround(v * (1 / 255) - 0.5)));
  });

  test('truncated data, a wrong magic and an unknown type code are refused', async () => {
    const whole = fs.readFileSync(bin('images-idx3-ubyte'));
    const file = writeTmp('cut-idx3-ubyte', whole.subarray(0, whole.length - 2));
    await assertInputError(() => loadDataset({ path: file, labelsPath: bin('labels-idx1-ubyte') }), { file },
      /truncated IDX data: shape \[3, 2, 2\] of unsigned byte needs 12 bytes, found 10$/);
    assert.throws(() => parseIdx(Buffer.from([0x1f, 0x8b, 8, 0, 0]), 'a'), /not an IDX file: expected the magic 0x00 0x00 <type> <dims>, found 0x1F 0x8B 0x08 0x00$/);
    assert.throws(() => parseIdx(Buffer.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), 'a'), /unknown IDX data type 0x0A; expected one of 0x08 \(unsigned byte\)/);
  });
});

describe('labels files and shared checks', () => {
  test('class names one per line, trailing blank line allowed', async () => {
    assertDataset(await loadBin({ path: 'features.npy', labelsPath: text('class-names.txt') }), [2, 2], FEATURES, [1, 0, 1]);
  });

  test('a blank line before more labels is an error at that line', async () => {
    const file = text('bad-blank-line-labels.txt');
    await assertInputError(() => loadBin({ path: 'features.npy', labelsPath: file }), { file, line: 2 }, /empty line, expected a label/);
  });

  test('label/feature count mismatch names both files and counts', async () => {
    const file = text('labels-2.txt');
    await assertInputError(() => loadBin({ path: 'features.npy', labelsPath: file }), { file },
      new RegExp(`has 2 labels but ${bin('features.npy').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has 3 records; expected one label per record$`));
  });

  test('a scale that overflows float32 is reported with the record', async () => {
    await assertInputError(() => loadBin({ path: 'features.npy', labelsPath: 'labels.npy', scale: 1e38 }), { record: 1 },
      /feature value 1 of record 1 is 4, which becomes 4e\+38 after scale 1e\+38 and offset 0/);
  });
});

describe('size cap', () => {
  test('a file of 2 GiB is refused without being read', async () => {
    const file = path.join(tmp, 'huge.npy');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 2 ** 31); // sparse: costs no disk
    await assertInputError(() => loadDataset({ path: file }), { file }, /file is 2\.0 GiB; dataset files must be smaller than 2\.0 GiB$/);
  });

  test('gzip data beyond the cap stops inflating at the cap', async () => {
    const file = writeTmp('bomb.csv.gz', zlib.gzipSync(Buffer.alloc(1 << 20)));
    assert.ok(fs.statSync(file).size < 4096);
    await assertInputError(() => readDataFile(file, 65536), { file }, /gzip data expands to 65536 bytes or more; refused/);
    assert.equal((await readDataFile(file, 2 << 20)).length, 1 << 20);
  });
});

describe('checkDatasetForModel and classCounts', () => {
  const dataset = (featureShape: number[], labels: number[]): Dataset => ({
    source: '/data/members.npy',
    count: labels.length,
    featureShape,
    features: new Float32Array(labels.length * featureShape.reduce((a, b) => a * b, 1)),
    labels: Int32Array.from(labels),
  });

  test('matching shapes, null dims, and a same-size reshape either way', () => {
    assert.deepEqual(checkDatasetForModel(dataset([28, 28, 1], [0]), { inputShape: [null, 28, 28, 1], numClasses: 10 }, 'members'), [28, 28, 1]);
    assert.deepEqual(checkDatasetForModel(dataset([5, 3], [0]), { inputShape: [null, null, 3], numClasses: 10 }, 'members'), [5, 3]);
    assert.deepEqual(checkDatasetForModel(dataset([784], [0]), { inputShape: [null, 28, 28, 1], numClasses: 10 }, 'members'), [28, 28, 1]);
    assert.deepEqual(checkDatasetForModel(dataset([28, 28, 1], [0]), { inputShape: [null, 784], numClasses: 10 }, 'members'), [784]);
  });

  test('an incompatible shape says what the model expects and what the file has', () => {
    assert.throws(
      () => checkDatasetForModel(dataset([28, 28, 3], [0]), { inputShape: [null, 784], numClasses: 10 }, 'members'),
      (e: unknown) => e instanceof InputError && e.location.file === '/data/members.npy' && e.message ===
        '/data/members.npy: members: model expects inputs of shape [784] (784 values per record), file has records of shape [28, 28, 3] (2352 values)',
    );
  });

  test('a label the model cannot output names the record', () => {
    assert.throws(
      () => checkDatasetForModel(dataset([2], [0, 1, 3, 0]), { inputShape: [null, 2], numClasses: 3 }, 'nonMembers'),
      (e: unknown) => e instanceof InputError && e.location.record === 2 &&
        /nonMembers: label 3 of record 2 is outside the model's 3 classes \(expected 0\.\.2\)$/.test(e.message),
    );
  });

  test('classCounts counts per class and refuses out-of-range labels', () => {
    assert.deepEqual(classCounts(dataset([1], [2, 0, 2, 2]), 4), [1, 0, 3, 0]);
    assert.throws(() => classCounts(dataset([1], [0, 5]), 4), /label 5 of record 1 is outside the model's 4 classes/);
  });
});
