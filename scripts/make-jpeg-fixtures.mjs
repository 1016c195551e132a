// Writes test/fixtures/datasets/images/jpeg/: 16x8 (W x H) JPEGs of two flat colours (one per
// 8x8 block, so JPEG's block transform reproduces them within a few levels), encoded with
// jpeg-js at quality 100, and jpeg-expected.json with the source colours the test compares
// against (Debian's python3 has no JPEG codec). Run: node scripts/make-jpeg-fixtures.mjs
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'datasets', 'images');
const DIR = join(ROOT, 'jpeg');
const [W, H] = [16, 8];
const images = [
  { file: 'blue/1.jpg', left: [20, 40, 200], right: [0, 0, 255] },
  { file: 'red/1.jpeg', left: [230, 10, 10], right: [128, 128, 128] },
  { file: 'red/2.JPG', left: [250, 250, 250], right: [90, 30, 60] },
];

rmSync(DIR, { recursive: true, force: true });
const expected = { shape: [H, W, 3], labelNames: ['blue', 'red'], labels: [0, 1, 1], features: [] };
for (const image of images) {
  const rgba = Buffer.alloc(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const colour = x < 8 ? image.left : image.right;
      rgba.set([...colour, 255], (y * W + x) * 4);
      expected.features.push(...colour);
    }
  }
  const path = join(DIR, image.file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, jpeg.encode({ width: W, height: H, data: rgba }, 100).data);
}
writeFileSync(join(ROOT, 'jpeg-expected.json'), `${JSON.stringify(expected)}\n`);
