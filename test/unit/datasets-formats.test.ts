/**
 * Image folders, Parquet and Arrow IPC datasets. Expected values come from the committed
 * fixture scripts (scripts/make-image-fixtures.py, make-columnar-fixtures.py/.mjs,
 * make-jpeg-fixtures.mjs), which write the pixels and columns independently of the readers.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Dataset } from '../../src/engine/artifacts/dataset';
import { loadDataset } from '../../src/engine/artifacts/datasets';
import { formatFromName } from '../../src/engine/artifacts/datasets/format';
import { IMAGE_FOLDER_LIMITS, loadImageFolder } from '../../src/engine/artifacts/datasets/image-folder';
import { parseManifest, proposeManifest } from '../../src/engine/manifest';
import { InputError, type SourceLocation } from '../../src/engine/errors';

const IMAGES = path.resolve(__dirname, '../fixtures/datasets/images');
const COLUMNAR = path.resolve(__dirname, '../fixtures/datasets/columnar');
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'datasets-formats-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Expected { shape: number[]; labels: number[]; features: number[]; labelNames?: string[] }

function assertMatches(ds: Dataset, want: Expected, tolerance = 0): void {
  assert.deepEqual(ds.featureShape, want.shape, 'feature shape');
  assert.deepEqual(Array.from(ds.labels), want.labels, 'labels');
  assert.equal(ds.count, want.labels.length, 'record count');
  if (want.labelNames) assert.deepEqual(ds.labelNames, want.labelNames, 'label names');
  assert.equal(ds.features.length, want.features.length, 'feature count');
  for (let i = 0; i < want.features.length; i++) {
    const diff = Math.abs(ds.features[i]! - Math.fround(want.features[i]!));
    assert.ok(diff <= tolerance, `feature ${i}: got ${ds.features[i]}, expected ${want.features[i]} (tolerance ${tolerance})`);
  }
}

async function assertInputError(run: () => Promise<unknown>, where: Partial<SourceLocation>, message: RegExp): Promise<void> {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    for (const [key, value] of Object.entries(where)) {
      assert.equal(e.location[key as keyof SourceLocation], value, `location.${key} in "${e.message}"`);
    }
    assert.match(e.message, message);
    return true;
  });
}

/** A copy of a fixture folder in tmp, to break one file of it. */
function copyFolder(name: string): string {
  const to = path.join(tmp, `${name}-${Math.random().toString(36).slice(2)}`);
  fs.cpSync(path.join(IMAGES, name), to, { recursive: true });
  return to;
}

describe('format detection', () => {
  test('maps Parquet and Arrow extensions; folders and images have no file format', () => {
    const cases: [string, string | undefined][] = [
      ['a.parquet', 'parquet'], ['a.PQ', 'parquet'], ['a.arrow', 'arrow'], ['a.feather', 'arrow'], ['a.arrows', 'arrow'],
      ['train', undefined], ['x.png', undefined],
    ];
    for (const [name, format] of cases) assert.equal(formatFromName(name), format, name);
  });
});

describe('image folders', () => {
  const expected: Record<'gray' | 'color', Expected> = readJson(path.join(IMAGES, 'expected.json'));

  test('grayscale PNGs: one channel, classes from sorted folder names, nested images found, other files skipped', async () => {
    assertMatches(await loadDataset({ path: path.join(IMAGES, 'gray') }), expected.gray);
  });

  test('every PNG colour type: alpha dropped, grayscale widened when another image is colour, palette expanded', async () => {
    assertMatches(await loadDataset({ path: 'color', format: 'images' }, IMAGES), expected.color);
  });

  test('JPEGs decode to the encoded flat colours within 3 levels', async () => {
    const want: Expected = readJson(path.join(IMAGES, 'jpeg-expected.json'));
    assertMatches(await loadDataset({ path: path.join(IMAGES, 'jpeg') }), want, 3);
  });

  test('one-component (grayscale) JPEGs keep one channel, and widen to R = G = B beside a colour JPEG, matching Pillow\'s decode', async () => {
    const want: { grayOnly: Expected; mixed: Expected } = readJson(path.join(IMAGES, 'jpeg-gray-expected.json'));
    assertMatches(await loadDataset({ path: path.join(IMAGES, 'jpeg-gray', 'gray-only') }), want.grayOnly, 2);
    assertMatches(await loadDataset({ path: path.join(IMAGES, 'jpeg-gray', 'mixed') }), want.mixed, 2);
  });

  test('scale and offset apply to image features like any other', async () => {
    const ds = await loadDataset({ path: path.join(IMAGES, 'gray'), scale: 1 / 255 });
    assert.ok(Math.abs(ds.features[0]! - expected.gray.features[0]! / 255) < 1e-6, `scaled ${ds.features[0]}`);
  });

  test('images of another size: InputError naming the odd file and both sizes', async () => {
    const dir = path.join(IMAGES, 'odd-size');
    await assertInputError(() => loadDataset({ path: dir }), { file: path.join(dir, 'b', '2.png') }, /image is 4x4 \(width x height\) but .*a[/\\]1\.png is 4x3/);
  });

  test('a truncated PNG, a truncated JPEG and a text file named .png are InputErrors naming the file', async () => {
    const gray = copyFolder('gray');
    const png = path.join(gray, 'cat', 'b.png');
    fs.writeFileSync(png, fs.readFileSync(png).subarray(0, 40));
    await assertInputError(() => loadDataset({ path: gray }), { file: png }, /corrupt PNG/);

    const jpeg = copyFolder('jpeg');
    const jpg = path.join(jpeg, 'red', '1.jpeg');
    fs.writeFileSync(jpg, fs.readFileSync(jpg).subarray(0, 200));
    await assertInputError(() => loadDataset({ path: jpeg }), { file: jpg }, /corrupt JPEG/);

    const text = copyFolder('gray');
    const fake = path.join(text, 'dog', 'd.png');
    fs.writeFileSync(fake, 'hello');
    await assertInputError(() => loadDataset({ path: text }), { file: fake }, /not a PNG or JPEG image: .* found 68 65 6c 6c/);
  });

  test('a PNG header declaring a huge size is refused before decoding', async () => {
    const dir = copyFolder('gray');
    const file = path.join(dir, 'cat', 'b.png');
    const bytes = fs.readFileSync(file);
    bytes.writeUInt32BE(100_000, 16);
    bytes.writeUInt32BE(100_000, 20);
    fs.writeFileSync(file, bytes);
    await assertInputError(() => loadDataset({ path: dir }), { file }, /image is 100000x100000 \(10000000000 pixels\); images of at most 16777216 pixels are read/);
  });

  test('caps on image count and total bytes are enforced', async () => {
    const dir = path.join(IMAGES, 'gray');
    await assertInputError(() => loadImageFolder(dir, { ...IMAGE_FOLDER_LIMITS, maxImages: 3 }), {}, /more than 3 images; at most 3 are read/);
    await assertInputError(() => loadImageFolder(dir, { ...IMAGE_FOLDER_LIMITS, maxTotalBytes: 150 }), {}, /image folders must be smaller than 150 bytes/);
    await assertInputError(() => loadImageFolder(dir, { ...IMAGE_FOLDER_LIMITS, maxPixels: 11 }), {}, /images of at most 11 pixels/);
  });

  test('folder layout mistakes are InputErrors that say what is expected', async () => {
    const stray = copyFolder('gray');
    fs.copyFileSync(path.join(stray, 'cat', 'b.png'), path.join(stray, 'loose.png'));
    await assertInputError(() => loadDataset({ path: stray }), { file: path.join(stray, 'loose.png') }, /directly in the dataset folder; expected one sub-folder per class/);

    const empty = copyFolder('gray');
    fs.mkdirSync(path.join(empty, 'eel'));
    await assertInputError(() => loadDataset({ path: empty }), { file: path.join(empty, 'eel') }, /class folder "eel" holds no \.png, \.jpg or \.jpeg images/);

    const bare = fs.mkdtempSync(path.join(tmp, 'bare-'));
    await assertInputError(() => loadDataset({ path: bare }), { file: bare }, /no class sub-folders/);

    const file = path.join(IMAGES, 'expected.json');
    await assertInputError(() => loadDataset({ path: file, format: 'images' }), { file }, /format "images" needs a folder/);
  });
});

describe('Parquet', () => {
  const want: Expected = readJson(path.join(COLUMNAR, 'parquet-expected.json')).table;

  test('double, float, int32, int64, boolean and LIST<float> columns become features; string labels sorted', async () => {
    assertMatches(await loadDataset({ path: path.join(COLUMNAR, 'table.parquet'), label: 'species' }), want);
    assertMatches(await loadDataset({ path: 'table.parquet', label: 6 }, COLUMNAR), want);
  });

  test('a text column that is not the label, or a DATE column: InputError naming the column and its type', async () => {
    const text = path.join(COLUMNAR, 'text-feature.parquet');
    await assertInputError(() => loadDataset({ path: text }), { file: text, field: 'notes' }, /column has type BYTE_ARRAY \(UTF8\); expected numbers or lists of numbers/);
    const date = path.join(COLUMNAR, 'date-column.parquet');
    await assertInputError(() => loadDataset({ path: date }), { file: date, field: 'day' }, /column has type INT32 \(DATE\)/);
  });

  test('no label column, a missing named label, and a truncated file are InputErrors', async () => {
    const file = path.join(COLUMNAR, 'table.parquet');
    await assertInputError(() => loadDataset({ path: file }), { file }, /no label column: expected one named label, target, y, class .* "species"/);
    await assertInputError(() => loadDataset({ path: file, label: 'kind' }), { file }, /no label column "kind"/);
    const cut = path.join(tmp, 'cut.parquet');
    fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, 300));
    await assertInputError(() => loadDataset({ path: cut, label: 'species' }), { file: cut }, /not a readable Parquet file/);
  });
});

describe('Arrow IPC', () => {
  const want: Expected = readJson(path.join(COLUMNAR, 'arrow-expected.json')).table;

  test('file and stream formats: numbers, Int64, Bool, FixedSizeList and List columns; dictionary labels', async () => {
    assertMatches(await loadDataset({ path: path.join(COLUMNAR, 'table.arrow'), label: 'species' }), want);
    assertMatches(await loadDataset({ path: path.join(COLUMNAR, 'table.arrows'), label: 'species' }), want);
  });

  test('a null feature and a text feature column: InputErrors naming the column', async () => {
    const nulls = path.join(COLUMNAR, 'null-feature.arrow');
    await assertInputError(() => loadDataset({ path: nulls }), { file: nulls, record: 1, field: 'x' }, /missing value \(null\)/);
    const text = path.join(COLUMNAR, 'text-feature.arrow');
    await assertInputError(() => loadDataset({ path: text }), { file: text, field: 'note' }, /column has type Utf8/);
  });

  test('Feather v1, non-Arrow bytes and a truncated file are InputErrors', async () => {
    const v1 = path.join(tmp, 'old.feather');
    fs.writeFileSync(v1, Buffer.from('FEA1\0\0\0\0rest'));
    await assertInputError(() => loadDataset({ path: v1 }), { file: v1 }, /Feather version 1 file/);
    const junk = path.join(tmp, 'junk.arrow');
    fs.writeFileSync(junk, 'hello world');
    await assertInputError(() => loadDataset({ path: junk }), { file: junk }, /not an Arrow IPC file: .* found 68 65 6c 6c 6f 20/);
    const cut = path.join(tmp, 'cut.arrow');
    fs.writeFileSync(cut, fs.readFileSync(path.join(COLUMNAR, 'table.arrow')).subarray(0, 400));
    await assertInputError(() => loadDataset({ path: cut, label: 'species' }), { file: cut }, /corrupt Arrow IPC metadata: footer length \d+ does not fit in the 400-byte file/);
  });
});

describe('manifest', () => {
  /** A workspace with a TF.js model, train/ and test/ image folders and a Parquet population. */
  function workspace(): string {
    const root = fs.mkdtempSync(path.join(tmp, 'ws-'));
    fs.mkdirSync(path.join(root, 'model'));
    fs.writeFileSync(path.join(root, 'model', 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [] }));
    fs.cpSync(path.join(IMAGES, 'gray'), path.join(root, 'data', 'train'), { recursive: true });
    fs.cpSync(path.join(IMAGES, 'gray'), path.join(root, 'data', 'test'), { recursive: true });
    fs.copyFileSync(path.join(COLUMNAR, 'table.parquet'), path.join(root, 'data', 'population.parquet'));
    return root;
  }

  test('proposals use image folders by their role names; the proposal parses with no problems', () => {
    const root = workspace();
    const proposal = proposeManifest(root);
    assert.equal(proposal.audits, 1, proposal.text);
    const audit = JSON.parse(proposal.text).audits[0];
    assert.equal(audit.members, 'data/train', proposal.text);
    assert.equal(audit.nonMembers, 'data/test', proposal.text);
    assert.equal(audit.population, 'data/population.parquet', proposal.text);
    const parsed = parseManifest(proposal.text, path.join(root, 'privacy-audit.json'));
    assert.deepEqual(parsed.problems.map((p) => p.message), [], 'problems of the proposal');
  });

  test('"format": "parquet", "arrow" and "images" pass the schema; an unknown format lists them', () => {
    const root = workspace();
    const manifest = (format: string) => JSON.stringify({
      version: 1,
      audits: [{ name: 'a', model: 'model/model.json', members: { path: 'data/train', format }, nonMembers: 'data/test' }],
    });
    for (const format of ['images', 'parquet', 'arrow']) {
      const parsed = parseManifest(manifest(format), path.join(root, 'privacy-audit.json'));
      assert.deepEqual(parsed.problems.map((p) => p.message), [], `format ${format}`);
    }
    const bad = parseManifest(manifest('xlsx'), path.join(root, 'privacy-audit.json'));
    assert.ok(bad.problems.some((p) => /parquet/.test(p.message) && /images/.test(p.message)), bad.problems.map((p) => p.message).join('\n'));
  });
});
