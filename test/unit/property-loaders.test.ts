/**
 * Property-based tests of every dataset loader (fast-check, fixed seeds, bounded runs):
 * generated valid inputs, written by the independent writers in property-writers.ts, read
 * back equal; mutated inputs (truncations, byte flips, insertions, huge declared sizes)
 * either load into a consistent dataset or fail with an InputError naming the file, and
 * each case finishes within PER_CASE_MS (a synchronous endless loop would instead stall
 * the file past the runner's timeout, which fails it too).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { Bool, Dictionary, Float32, Float64, Int16, Int32, Table, Uint8, Utf8, tableToIPC, vectorFromArray, type DataType } from 'apache-arrow';
import { recordSize, type DatasetSpec } from '../../src/engine/artifacts/dataset';
import { readRecords } from '../../src/engine/artifacts/datasets';
import { COLUMNAR_LIMITS } from '../../src/engine/artifacts/datasets/columnar-isolation';
import type { DatasetFormat } from '../../src/engine/artifacts/datasets/format';
import { loadImageFolder } from '../../src/engine/artifacts/datasets/image-folder';
import { loadLabelsFile } from '../../src/engine/artifacts/datasets/label-file';
import type { LoadedRecords } from '../../src/engine/artifacts/datasets/loaded-records';
import { readDataFile } from '../../src/engine/artifacts/datasets/read-file';
import { InputError } from '../../src/engine/errors';
import {
  IDX_TYPES, NPY_DTYPES, delimitedText, idxBytes, npyBytes, parquetBytes, pngBytes, storedZip, type NpyDtype, type ParquetColumn,
} from './property-writers';

const SEED = 20261205;
const PER_CASE_MS = 2500;
const FILE = path.join(os.tmpdir(), 'property-virtual', 'data');
// Parquet and Arrow decode in a worker stopped after this long (see columnar-isolation.ts).
COLUMNAR_LIMITS.baseTimeoutMs = 1500;
before(async () => {
  // Start the columnar worker (tsx compiles its modules) outside any timed case.
  await readRecords('arrow', fs.readFileSync(path.resolve(__dirname, '../fixtures/datasets/columnar/table.arrow')), FILE, { path: FILE, label: 'species' });
});
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'property-loaders-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let tmpCounter = 0;
const tmpPath = (name: string) => path.join(tmp, `${tmpCounter++}-${name}`);

type Format = Exclude<DatasetFormat, 'images'>;

// ---- Generated data

/** Finite float32 values; -0 becomes 0 because text formats cannot keep the sign of zero. */
const float32 = fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => (v === 0 ? 0 : v));
const CLASS_NAMES = ['ant', 'bee', 'Cat', 'dog', 'emu', 'éclair', '10', 'z z'];
/** Names that are not numbers: a label column is all class indices or all class names. */
const NAME_LABELS = CLASS_NAMES.filter((n) => !/^\d+$/.test(n));

interface Table2D {
  features: number[][];
  /** Class indices, or class names mapped to sorted indices by `expectedLabels`. */
  labels: number[] | string[];
}

const table2d = (maxCols = 4, maxRows = 6, values: fc.Arbitrary<number> = float32): fc.Arbitrary<Table2D> =>
  fc.record({ cols: fc.integer({ min: 1, max: maxCols }), rows: fc.integer({ min: 1, max: maxRows }), names: fc.boolean() }).chain(({ cols, rows, names }) =>
    fc.record({
      features: fc.array(fc.array(values, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }),
      labels: names
        ? fc.array(fc.constantFrom(...NAME_LABELS), { minLength: rows, maxLength: rows })
        : fc.array(fc.nat(20), { minLength: rows, maxLength: rows }),
    }));

function expectedLabels(labels: number[] | string[]): number[] {
  if (labels.every((l) => typeof l === 'number')) return labels as number[];
  const classes = [...new Set(labels as string[])].sort();
  return (labels as string[]).map((l) => classes.indexOf(l));
}

function assertRecords(got: LoadedRecords, shape: number[], features: number[], labels: number[] | undefined): void {
  assert.deepEqual(got.featureShape, shape, 'feature shape');
  assert.equal(got.count, features.length / recordSize(shape), 'record count');
  assert.deepEqual(Array.from(got.features), features.map(Math.fround), 'features');
  if (labels) assert.deepEqual(Array.from(got.labels ?? []), labels, 'labels');
}

// ---- Mutations

type Mutation =
  | { kind: 'truncate'; at: Position }
  | { kind: 'flip'; at: Position; value: number }
  | { kind: 'insert'; at: Position; bytes: Uint8Array }
  | { kind: 'huge'; at: Position; width: number; top: number };
/** Offsets cluster in the first and last 64 bytes, where headers and footers declare sizes. */
interface Position { fromEnd: boolean; offset: number }

const position: fc.Arbitrary<Position> = fc.record({ fromEnd: fc.boolean(), offset: fc.oneof(fc.nat(64), fc.nat(4096)) });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('flip' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('huge' as const), at: position, width: fc.constantFrom(1, 2, 4, 8), top: fc.constantFrom(0xff, 0x7f, 0x40) }),
);
const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

function mutate(bytes: Uint8Array, list: Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const m of list) {
    const offset = Math.min(m.at.offset, out.length);
    const at = m.at.fromEnd ? out.length - offset : offset;
    if (m.kind === 'truncate') out = out.subarray(0, at);
    else if (m.kind === 'flip') { if (at < out.length) out[at] = m.value; }
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    else {
      // A large number in either byte order: 0xff.. or 0x7f ff ..
      for (let k = 0; k < m.width && at + k < out.length; k++) out[at + k] = k === 0 ? m.top : 0xff;
    }
  }
  return out;
}

/** Runs a load of mutated input: success must be a consistent dataset, failure an InputError at `file` (or under it). */
async function expectCleanOutcome(run: () => Promise<LoadedRecords | Int32Array>, file: string): Promise<void> {
  const start = performance.now();
  try {
    const result = await run();
    if (result instanceof Int32Array) {
      assert.ok(result.length > 0 && result.every((l) => l >= 0), 'labels are class indices');
    } else {
      assert.equal(result.features.length, result.count * recordSize(result.featureShape), 'features hold count x record size values');
      assert.ok(result.features.every(Number.isFinite), 'features are finite');
      if (result.labels) assert.equal(result.labels.length, result.count, 'one label per record');
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw new Error(`expected an InputError, got: ${e instanceof Error ? e.stack : String(e)}`);
    assert.ok(e.location.file === file || e.location.file.startsWith(file + path.sep), `error names ${e.location.file}, expected ${file}`);
    assert.ok(e.message.length > e.location.file.length + 10, `message says what was expected: ${e.message}`);
  }
  const elapsed = performance.now() - start;
  assert.ok(elapsed < PER_CASE_MS, `took ${elapsed.toFixed(0)} ms; expected under ${PER_CASE_MS} ms`);
}

const read = (format: Format, bytes: Uint8Array, spec: Omit<DatasetSpec, 'path'> = {}) =>
  readRecords(format, Buffer.from(bytes), FILE, { path: FILE, ...spec });
const run = <T>(arb: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, numRuns: number) =>
  fc.assert(fc.asyncProperty(arb, predicate), { seed: SEED, numRuns });

// ---- Valid-input generators: bytes plus the records they must read back as

interface Case { bytes: Uint8Array; shape: number[]; features: number[]; labels?: number[]; spec?: Omit<DatasetSpec, 'path'> }

const delimitedCase = (format: 'csv' | 'tsv') => fc.record({ table: table2d(), labelAt: fc.nat(), crlf: fc.boolean() }).map(({ table, labelAt, crlf }): Case => {
  const cols = table.features[0]!.length;
  const at = labelAt % (cols + 1);
  const header = Array.from({ length: cols }, (_, i) => `f${i}`);
  header.splice(at, 0, 'label');
  const rows = table.features.map((r, i) => {
    const cells = r.map(String);
    cells.splice(at, 0, String(table.labels[i]));
    return cells;
  });
  const bytes = Buffer.from(delimitedText(header, rows, format === 'csv' ? ',' : '\t', crlf ? '\r\n' : '\n'));
  return { bytes, shape: [cols], features: table.features.flat(), labels: expectedLabels(table.labels) };
});

const jsonlCase = fc.record({ table: table2d(), asArray: fc.boolean() }).map(({ table, asArray }): Case => {
  const lines = table.features.map((r, i) => JSON.stringify(asArray
    ? { label: table.labels[i], features: r }
    : { ...Object.fromEntries(r.map((v, k) => [`f${k}`, v])), label: table.labels[i] }));
  return { bytes: Buffer.from(`${lines.join('\n')}\n`), shape: [table.features[0]!.length], features: table.features.flat(), labels: expectedLabels(table.labels) };
});

function valuesFor(dtype: Pick<NpyDtype, 'kind' | 'size'>): fc.Arbitrary<number> {
  if (dtype.kind === 'f') return float32;
  if (dtype.kind === 'b') return fc.integer({ min: 0, max: 1 });
  if (dtype.size === 8) return fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
  const bits = dtype.size * 8;
  return dtype.kind === 'u' ? fc.integer({ min: 0, max: 2 ** bits - 1 }) : fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 });
}

const arrayShape = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 })).map(([n, rest]) => [n, ...rest]);

const npyArray = fc.record({ dtype: fc.constantFrom(...NPY_DTYPES), shape: arrayShape, fortran: fc.boolean() }).chain(({ dtype, shape, fortran }) =>
  fc.array(valuesFor(dtype), { minLength: recordSize(shape), maxLength: recordSize(shape) }).map((values) => ({ dtype, shape, fortran, values })));

const npyCase = npyArray.map(({ dtype, shape, fortran, values }): Case => ({
  bytes: npyBytes(shape, dtype, values, fortran), shape: shape.length > 1 ? shape.slice(1) : [1], features: values,
}));

const NPZ_KEYS: [string, string][] = [['x', 'y'], ['features', 'labels'], ['X', 'y'], ['data', 'target']];
const npzCase = fc.record({ array: npyArray, keys: fc.constantFrom(...NPZ_KEYS), labelType: fc.constantFrom(...NPY_DTYPES.filter((d) => d.kind === 'u' || d.kind === 'i')) })
  .chain(({ array, keys, labelType }) => fc.array(fc.integer({ min: 0, max: 100 }), { minLength: array.shape[0], maxLength: array.shape[0] }).map((labels): Case => ({
    bytes: storedZip([
      { name: `${keys[0]}.npy`, data: npyBytes(array.shape, array.dtype, array.values, array.fortran) },
      { name: `${keys[1]}.npy`, data: npyBytes([labels.length], labelType, labels) },
    ]),
    shape: array.shape.length > 1 ? array.shape.slice(1) : [1],
    features: array.values,
    labels,
  })));

const idxCase = fc.record({ type: fc.constantFrom(...IDX_TYPES), shape: arrayShape }).chain(({ type, shape }) =>
  fc.array(valuesFor(type), { minLength: recordSize(shape), maxLength: recordSize(shape) }).map((values): Case => ({
    bytes: idxBytes(type, shape, values), shape: shape.length > 1 ? shape.slice(1) : [1], features: values,
  })));

const PARQUET_FEATURE_TYPES = ['DOUBLE', 'FLOAT', 'INT32', 'INT64'] as const;
const parquetCase = fc.record({
  table: table2d(4, 6, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  types: fc.array(fc.constantFrom(...PARQUET_FEATURE_TYPES), { minLength: 4, maxLength: 4 }),
  labelAt: fc.nat(),
}).map(({ table, types, labelAt }): Case => {
  const cols = table.features[0]!.length;
  // Float columns get float32-representable values; integer columns keep theirs.
  const columnValues = (c: number, type: ParquetColumn['type']) => table.features.map((r) => (type === 'DOUBLE' || type === 'FLOAT' ? Math.fround(r[c]! / 7) : r[c]!));
  const columns: ParquetColumn[] = Array.from({ length: cols }, (_, c) => ({ name: `f${c}`, type: types[c]!, values: columnValues(c, types[c]!) }));
  const labelColumn: ParquetColumn = { name: 'label', type: typeof table.labels[0] === 'string' ? 'UTF8' : 'INT32', values: table.labels };
  columns.splice(labelAt % (cols + 1), 0, labelColumn);
  const features = table.features.flatMap((_, r) => columns.filter((c) => c !== labelColumn).map((c) => c.values[r] as number));
  return { bytes: parquetBytes(columns, table.features.length), shape: [cols], features, labels: expectedLabels(table.labels) };
});

const ARROW_TYPES: [() => DataType, fc.Arbitrary<number | boolean>][] = [
  [() => new Float64(), float32],
  [() => new Float32(), float32],
  [() => new Int32(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
  [() => new Int16(), fc.integer({ min: -32768, max: 32767 })],
  [() => new Uint8(), fc.integer({ min: 0, max: 255 })],
  [() => new Bool(), fc.boolean()],
];
const arrowCase = fc.record({
  rows: fc.integer({ min: 1, max: 6 }),
  types: fc.array(fc.integer({ min: 0, max: ARROW_TYPES.length - 1 }), { minLength: 1, maxLength: 4 }),
  names: fc.boolean(),
  stream: fc.boolean(),
}).chain(({ rows, types, names, stream }) => fc.record({
  columns: fc.tuple(...types.map((t) => fc.array(ARROW_TYPES[t]![1], { minLength: rows, maxLength: rows }))),
  labels: names ? fc.array(fc.constantFrom(...NAME_LABELS), { minLength: rows, maxLength: rows }) : fc.array(fc.nat(20), { minLength: rows, maxLength: rows }),
}).map(({ columns, labels }): Case => {
  const vectors = Object.fromEntries(columns.map((values, c) => [`f${c}`, vectorFromArray(values, ARROW_TYPES[types[c]!]![0]())]));
  const labelVector = names ? vectorFromArray(labels as string[], new Dictionary(new Utf8(), new Int32())) : vectorFromArray(labels as number[], new Int32());
  const table = new Table({ ...vectors, target: labelVector });
  const features = Array.from({ length: rows }, (_, r) => columns.map((values) => Number(values[r]))).flat();
  return { bytes: tableToIPC(table, stream ? 'stream' : 'file'), shape: [columns.length], features, labels: expectedLabels(labels) };
}));

const CASES: [string, Format, fc.Arbitrary<Case>][] = [
  ['CSV', 'csv', delimitedCase('csv')],
  ['TSV', 'tsv', delimitedCase('tsv')],
  ['JSONL', 'jsonl', jsonlCase],
  ['NPY', 'npy', npyCase],
  ['NPZ', 'npz', npzCase],
  ['IDX', 'idx', idxCase],
  ['Parquet', 'parquet', parquetCase],
  ['Arrow', 'arrow', arrowCase],
];

for (const [name, format, arb] of CASES) {
  describe(name, () => {
    test('generated files read back equal', async () => {
      await run(arb, async (c) => {
        assertRecords(await read(format, c.bytes, c.spec), c.shape, c.features, c.labels);
      }, 60);
    });

    test('mutated files load consistently or fail with an InputError naming the file, in bounded time', async () => {
      await run(fc.tuple(arb, mutations), async ([c, list]) => {
        await expectCleanOutcome(() => read(format, mutate(c.bytes, list), c.spec), FILE);
      }, 600);
    });
  });
}

describe('every single-byte change of the committed Parquet and Arrow fixtures', () => {
  // Deterministic and exhaustive where the random mutations are sampled: found the Arrow
  // reader's endless loops (corrupt message header, huge vector lengths).
  const FIXTURES: [Format, string][] = [['parquet', 'table.parquet'], ['arrow', 'table.arrow'], ['arrow', 'table.arrows']];
  for (const [format, name] of FIXTURES) {
    test(name, async () => {
      const good = fs.readFileSync(path.resolve(__dirname, '../fixtures/datasets/columnar', name));
      for (let at = 0; at < good.length; at++) {
        for (const value of [0xff, (good[at]! + 1) & 0xff]) {
          const bytes = Buffer.from(good);
          bytes[at] = value;
          await expectCleanOutcome(() => read(format, bytes, { label: 'species' }), FILE);
        }
      }
    });
  }
});

describe('gzipped IDX', () => {
  test('generated .gz files read back equal; mutated ones fail cleanly', async () => {
    await run(fc.tuple(idxCase, fc.option(mutations, { freq: 2 })), async ([c, list]) => {
      const file = tmpPath('data.idx.gz');
      const gz = zlib.gzipSync(c.bytes);
      fs.writeFileSync(file, list ? mutate(gz, list) : gz);
      const load = async () => read('idx', await readDataFile(file)).catch((e: unknown) => {
        // readRecords names FILE; what matters here is the gzip layer's errors, which name `file`.
        if (e instanceof InputError && e.location.file === FILE) throw new InputError(e.message, { ...e.location, file });
        throw e;
      });
      if (list) await expectCleanOutcome(load, file);
      else assertRecords(await load(), c.shape, c.features, undefined);
    }, 80);
  });

  test('a gzip bomb is refused at the cap, not inflated', async () => {
    const file = tmpPath('bomb.idx.gz');
    fs.writeFileSync(file, zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024)));
    await assert.rejects(readDataFile(file, 1024 * 1024), (e: unknown) => e instanceof InputError && /expands to 1\.0 MiB or more/.test(e.message), 'bomb refused');
  });
});

describe('label files', () => {
  const labelLines = fc.record({ labels: table2d(1, 8).map((t) => t.labels), crlf: fc.boolean(), trailing: fc.constantFrom('', '\n', '\n\n') });

  test('generated label files read back equal; mutated ones fail cleanly', async () => {
    await run(fc.tuple(labelLines, fc.option(mutations, { freq: 2 })), async ([{ labels, crlf, trailing }, list]) => {
      const file = tmpPath('labels.txt');
      const text = Buffer.from(labels.join(crlf ? '\r\n' : '\n') + trailing);
      fs.writeFileSync(file, list ? mutate(text, list) : text);
      if (list) await expectCleanOutcome(() => loadLabelsFile(file), file);
      else assert.deepEqual(Array.from(await loadLabelsFile(file)), expectedLabels(labels), 'labels');
    }, 120);
  });
});

describe('image folders', () => {
  interface ImageSpec { className: string; width: number; height: number; colorType: 0 | 2 | 4 | 6; samples: Uint8Array }
  const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 } as const;

  const folder = fc.record({
    classes: fc.uniqueArray(fc.constantFrom(...CLASS_NAMES), { minLength: 1, maxLength: 3 }),
    width: fc.integer({ min: 1, max: 5 }),
    height: fc.integer({ min: 1, max: 5 }),
  }).chain(({ classes, width, height }) => fc.array(
    fc.record({ className: fc.constantFrom(...classes), colorType: fc.constantFrom(0 as const, 2 as const, 4 as const, 6 as const) })
      .chain(({ className, colorType }) => fc.uint8Array({ minLength: width * height * CHANNELS[colorType], maxLength: width * height * CHANNELS[colorType] })
        .map((samples): ImageSpec => ({ className, width, height, colorType, samples }))),
    { minLength: classes.length, maxLength: 6 },
  ).filter((images) => classes.every((c) => images.some((i) => i.className === c))));

  /** Writes the folder; returns the expected records (class folders sorted, images in write order). */
  function writeFolder(images: ImageSpec[]): { dir: string; files: string[]; shape: number[]; features: number[]; labels: number[]; names: string[] } {
    const dir = tmpPath('images');
    const names = [...new Set(images.map((i) => i.className))].sort();
    const channels = images.some((i) => i.colorType === 2 || i.colorType === 6) ? 3 : 1;
    const ordered = names.flatMap((name) => images.filter((i) => i.className === name));
    const files: string[] = [];
    ordered.forEach((image, k) => {
      const file = path.join(dir, image.className, `img${k}.png`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, pngBytes(image.width, image.height, image.colorType, image.samples));
      files.push(file);
    });
    const features = ordered.flatMap((image) => {
      const stride = CHANNELS[image.colorType];
      const gray = image.colorType === 0 || image.colorType === 4;
      return Array.from({ length: image.width * image.height }, (_, p) => {
        const at = p * stride;
        if (gray) return new Array<number>(channels).fill(image.samples[at]!);
        return [image.samples[at]!, image.samples[at + 1]!, image.samples[at + 2]!];
      }).flat();
    });
    const first = images[0]!;
    return { dir, files, shape: [first.height, first.width, channels], features, labels: ordered.map((i) => names.indexOf(i.className)), names };
  }

  test('generated PNG folders read back equal', async () => {
    await run(folder, async (images) => {
      const want = writeFolder(images);
      const got = await loadImageFolder(want.dir);
      assertRecords(got, want.shape, want.features, want.labels);
      assert.deepEqual(got.labelNames, want.names, 'label names');
    }, 30);
  });

  test('a mutated image fails with an InputError naming a file in the folder, in bounded time', async () => {
    await run(fc.tuple(folder, fc.nat(), mutations), async ([images, pick, list]) => {
      const want = writeFolder(images);
      const victim = want.files[pick % want.files.length]!;
      fs.writeFileSync(victim, mutate(fs.readFileSync(victim), list));
      await expectCleanOutcome(() => loadImageFolder(want.dir), want.dir);
    }, 60);
  });
});
