/**
 * The augmented queries of the label-only augmentation attack (Choquette-Choo et al. 2021):
 * how a record is read (image or tabular) and how each augmented copy is made.
 *
 * Images: every combination of {no flip, horizontal mirror} with {no shift, +-1 and +-2
 * pixels along x, +-1 and +-2 pixels along y}: 2 x 9 = 18 queries, the identity included.
 * Shifted-in pixels repeat the edge pixel (not zero) so the fill is neutral whatever the
 * features' normalisation is.
 * Tabular records: the identity plus copies with Gaussian noise of `noiseScale` feature
 * standard deviations. The noise draws are shared by all records (common random numbers),
 * so a record's score does not depend on which other records are audited or their order.
 */
import { recordSize } from '../artifacts/dataset';
import { gaussianRandom } from '../random';

export interface ImageLayout {
  kind: 'image';
  height: number;
  width: number;
  channels: number;
}

export interface TabularLayout {
  kind: 'tabular';
  size: number;
}

export type RecordLayout = ImageLayout | TabularLayout;

export type LayoutPreference = 'auto' | 'image' | 'tabular';

/**
 * Flat records count as square images only from 8 x 8 up: a 16- or 36-column table
 * is far more likely than a 4 x 4 picture.
 */
const MIN_FLAT_IMAGE_SIDE = 8;

/** [H, W] and [H, W, C] are images; flat records of a square length (>= 64) are H x H images. */
export function recordLayout(featureShape: readonly number[], preference: LayoutPreference = 'auto'): RecordLayout {
  const size = recordSize(featureShape);
  if (preference === 'tabular') return { kind: 'tabular', size };
  if (featureShape.length === 2) return { kind: 'image', height: featureShape[0], width: featureShape[1], channels: 1 };
  if (featureShape.length === 3) {
    return { kind: 'image', height: featureShape[0], width: featureShape[1], channels: featureShape[2] };
  }
  const side = Math.round(Math.sqrt(size));
  const square = featureShape.length === 1 && side * side === size;
  if (square && (side >= MIN_FLAT_IMAGE_SIDE || preference === 'image')) {
    return { kind: 'image', height: side, width: side, channels: 1 };
  }
  if (preference === 'image') {
    throw new Error(`records of shape [${featureShape.join(', ')}] cannot be read as images: expected [H, W], [H, W, C] or a square length`);
  }
  return { kind: 'tabular', size };
}

export interface ImageAugmentation {
  mirror: boolean;
  dx: number;
  dy: number;
}

const SHIFTS: readonly [number, number][] = [
  [0, 0], [1, 0], [-1, 0], [2, 0], [-2, 0], [0, 1], [0, -1], [0, 2], [0, -2],
];

/** The 18 image queries; the first is the identity. */
export const IMAGE_AUGMENTATIONS: readonly ImageAugmentation[] = [false, true].flatMap((mirror) =>
  SHIFTS.map(([dx, dy]) => ({ mirror, dx, dy })),
);

/** Writes the augmented copy of one image: out(y, x) = in(y - dy, x' - dx), x' mirrored if asked. */
export function augmentImage(
  source: Float32Array,
  target: Float32Array,
  layout: ImageLayout,
  augmentation: ImageAugmentation,
): void {
  const { height, width, channels } = layout;
  for (let y = 0; y < height; y++) {
    const sy = clamp(y - augmentation.dy, height);
    for (let x = 0; x < width; x++) {
      let sx = clamp(x - augmentation.dx, width);
      if (augmentation.mirror) sx = width - 1 - sx;
      const from = (sy * width + sx) * channels;
      const to = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) target[to + c] = source[from + c];
    }
  }
}

function clamp(index: number, size: number): number {
  return index < 0 ? 0 : index >= size ? size - 1 : index;
}

/**
 * `queries - 1` noise vectors (the first query is the identity), each already scaled by
 * the per-feature standard deviation times `noiseScale`: row q-1 is added for query q.
 */
export function tabularNoiseBank(queries: number, featureScale: Float64Array, noiseScale: number, seed: number): Float32Array {
  const size = featureScale.length;
  const normal = gaussianRandom(seed);
  const bank = new Float32Array((queries - 1) * size);
  for (let q = 0; q < queries - 1; q++) {
    for (let j = 0; j < size; j++) bank[q * size + j] = normal() * featureScale[j] * noiseScale;
  }
  return bank;
}
