// Writes the Arrow IPC fixtures under test/fixtures/datasets/columnar/ and arrow-expected.json
// with apache-arrow's writer (tableToIPC). The Parquet fixtures come from
// make-columnar-fixtures.py, which afterwards cross-checks these files: numpy must find each
// numeric column's little-endian bytes, as listed in arrow-expected.json, in both files.
// Run: node scripts/make-columnar-fixtures.mjs
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Bool, Dictionary, Field, FixedSizeList, Float32, Float64, Int32, List, Table, Utf8, tableToIPC, vectorFromArray,
} from 'apache-arrow';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'datasets', 'columnar');

const x = [0.5, -1.25, 3, 1e-3];
const count = [7, -3, 0, 2147483647];
const big = [2n ** 40n, -5n, 0n, 123456789n];
const flag = [true, false, false, true];
const pixels = [[1, 2, 3], [4, 5, 6], [-7, 8.5, 9], [0, 0, 1]];
const deltas = [[0.25, 0.5], [1, 2], [3, 4], [5, 6]];
const species = ['owl', 'cat', 'owl', 'bee'];

const table = new Table({
  x: vectorFromArray(x, new Float64()),
  count: vectorFromArray(count, new Int32()),
  big: vectorFromArray(BigInt64Array.from(big)),
  flag: vectorFromArray(flag, new Bool()),
  pixels: vectorFromArray(pixels, new FixedSizeList(3, new Field('item', new Float32(), false))),
  deltas: vectorFromArray(deltas, new List(new Field('item', new Float32(), false))),
  species: vectorFromArray(species, new Dictionary(new Utf8(), new Int32())),
});
writeFileSync(join(OUT, 'table.arrow'), tableToIPC(table, 'file'));
writeFileSync(join(OUT, 'table.arrows'), tableToIPC(table, 'stream'));

const withNull = new Table({ x: vectorFromArray([1, null, 3], new Float64()), label: vectorFromArray([0, 1, 0], new Int32()) });
writeFileSync(join(OUT, 'null-feature.arrow'), tableToIPC(withNull, 'file'));
const textFeature = new Table({ note: vectorFromArray(['a', 'b'], new Utf8()), x: vectorFromArray([1, 2], new Float64()), label: vectorFromArray([0, 1], new Int32()) });
writeFileSync(join(OUT, 'text-feature.arrow'), tableToIPC(textFeature, 'file'));

const classes = [...new Set(species)].sort();
const f32 = (v) => Math.fround(v);
const features = x.flatMap((_, r) => [x[r], count[r], Number(big[r]), flag[r] ? 1 : 0, ...pixels[r], ...deltas[r]].map(f32));
const expected = {
  table: { shape: [4 + 3 + 2], labels: species.map((s) => classes.indexOf(s)), features },
  columns: { x, count, big: big.map(String), pixels: pixels.flat(), deltas: deltas.flat() },
};
writeFileSync(join(OUT, 'arrow-expected.json'), `${JSON.stringify(expected)}\n`);
