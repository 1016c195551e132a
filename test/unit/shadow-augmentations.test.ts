/** Query augmentations: which variants, in which order, and what each one does to pixels. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentRecords, imageGeometry, queryVariants } from '../../src/engine/attacks/augmentations';

describe('queryVariants', () => {
  test('identity first, mirror one variant, shift four; duplicates ignored', () => {
    assert.deepEqual(queryVariants(['identity']).map((v) => v.label), ['identity']);
    assert.deepEqual(queryVariants(['mirror']).map((v) => v.label), ['identity', 'mirror']);
    assert.deepEqual(queryVariants(['shift', 'identity', 'mirror', 'shift']).map((v) => v.label), [
      'identity', 'shift(+1,0)', 'shift(-1,0)', 'shift(0,+1)', 'shift(0,-1)', 'mirror',
    ]);
  });

  test('rejects unknown names', () => {
    assert.throws(() => queryVariants(['rotate' as 'mirror']), /unknown query/);
  });
});

describe('augmentRecords', () => {
  // Two 2x3 images with 2 channels; value = 100*record + 10*(y*3 + x) + channel.
  const shape = [2, 3, 2];
  const size = 12;
  const features = new Float32Array(2 * size);
  for (let r = 0; r < 2; r++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 2; c++) {
    features[r * size + (y * 3 + x) * 2 + c] = 100 * r + 10 * (y * 3 + x) + c;
  }
  const pixel = (img: Float32Array, y: number, x: number): number[] => [img[(y * 3 + x) * 2], img[(y * 3 + x) * 2 + 1]];

  test('writes record after record, variant after variant; identity copies', () => {
    const variants = queryVariants(['mirror']);
    const out = augmentRecords(features, shape, 0, 2, variants);
    assert.equal(out.length, 2 * 2 * size);
    assert.deepEqual(Array.from(out.subarray(0, size)), Array.from(features.subarray(0, size)), 'record 0 identity');
    assert.deepEqual(Array.from(out.subarray(2 * size, 3 * size)), Array.from(features.subarray(size, 2 * size)), 'record 1 identity');
  });

  test('mirror reverses columns and keeps channels together', () => {
    const out = augmentRecords(features, shape, 1, 1, queryVariants(['mirror']));
    const mirrored = out.subarray(size, 2 * size);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) {
      assert.deepEqual(pixel(mirrored, y, x), [100 + 10 * (y * 3 + 2 - x), 101 + 10 * (y * 3 + 2 - x)], `pixel (${y}, ${x})`);
    }
  });

  test('shifts move by one pixel and fill with zeros', () => {
    const variants = queryVariants(['shift']);
    const out = augmentRecords(features, shape, 0, 1, variants);
    const image = (label: string) => {
      const q = variants.findIndex((v) => v.label === label);
      return out.subarray(q * size, (q + 1) * size);
    };
    const down = image('shift(+1,0)');
    assert.deepEqual([...pixel(down, 0, 0), ...pixel(down, 0, 2)], [0, 0, 0, 0], 'top row vacated');
    assert.deepEqual(pixel(down, 1, 1), [10, 11], 'row 0 moved to row 1');
    const left = image('shift(0,-1)');
    assert.deepEqual(pixel(left, 0, 0), [10, 11], 'column 1 moved to column 0');
    assert.deepEqual(pixel(left, 1, 2), [0, 0], 'right column vacated');
  });

  test('needs images for anything but identity; HxW is one channel', () => {
    assert.deepEqual(imageGeometry([28, 28]), { height: 28, width: 28, channels: 1 });
    assert.equal(imageGeometry([784]), undefined);
    assert.throws(() => augmentRecords(new Float32Array(8), [8], 0, 1, queryVariants(['mirror'])), /need HxW or HxWxC/);
    assert.deepEqual(Array.from(augmentRecords(Float32Array.from([1, 2, 3]), [3], 0, 1, queryVariants(['identity']))), [1, 2, 3]);
  });
});
