/**
 * Query augmentations for reference-model attacks (LiRA's "augmented queries"): each
 * record is evaluated as several variants and the per-variant scores are combined.
 * Models trained with flips and shifts are confident on a training image's variants
 * too, so querying them adds signal (Carlini et al. report a large gain at low FPR).
 *
 *   identity  the record itself (always query 0)
 *   mirror    horizontal flip (columns reversed)
 *   shift     four one-pixel translations (down, up, right, left), vacated pixels 0
 *
 * Images are HxW or HxWxC (channels last, the tfjs convention), row-major.
 */

export const QUERY_NAMES = ['identity', 'mirror', 'shift'] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

export interface QueryVariant {
  /** e.g. 'identity', 'mirror', 'shift(+1,0)' (rows, columns). */
  label: string;
  mirror: boolean;
  /** Translation in rows and columns: out[y][x] = in[y - dy][x - dx]. */
  dy: number;
  dx: number;
}

const SHIFTS: [number, number][] = [[1, 0], [-1, 0], [0, 1], [0, -1]];

/**
 * The variants `queries` asks for, identity first, each named query once, in the order
 * given. Q (the number of variants) is the length of the result.
 */
export function queryVariants(queries: readonly QueryName[]): QueryVariant[] {
  const variants: QueryVariant[] = [{ label: 'identity', mirror: false, dy: 0, dx: 0 }];
  const seen = new Set<QueryName>(['identity']);
  for (const q of queries) {
    if (!(QUERY_NAMES as readonly string[]).includes(q)) throw new RangeError(`unknown query augmentation ${JSON.stringify(q)}`);
    if (seen.has(q)) continue;
    seen.add(q);
    if (q === 'mirror') variants.push({ label: 'mirror', mirror: true, dy: 0, dx: 0 });
    if (q === 'shift') {
      for (const [dy, dx] of SHIFTS) variants.push({ label: `shift(${signed(dy)},${signed(dx)})`, mirror: false, dy, dx });
    }
  }
  return variants;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

export interface ImageGeometry {
  height: number;
  width: number;
  channels: number;
}

/** Height, width and channels of HxW or HxWxC records; undefined for other shapes. */
export function imageGeometry(featureShape: readonly number[]): ImageGeometry | undefined {
  if (featureShape.length === 2) return { height: featureShape[0], width: featureShape[1], channels: 1 };
  if (featureShape.length === 3) return { height: featureShape[0], width: featureShape[1], channels: featureShape[2] };
  return undefined;
}

/** Whether the variants need image geometry (anything but identity does). */
export function needsImages(variants: readonly QueryVariant[]): boolean {
  return variants.some((v) => v.mirror || v.dy !== 0 || v.dx !== 0);
}

/**
 * Writes every variant of records [first, first + count) of `features` to `out`, record
 * after record and, within a record, variant after variant: out holds count x Q records,
 * record r's variant q at (r * Q + q) * size. Returns out.
 */
export function augmentRecords(
  features: Float32Array,
  featureShape: readonly number[],
  first: number,
  count: number,
  variants: readonly QueryVariant[],
  out: Float32Array = new Float32Array(count * variants.length * featureShape.reduce((a, b) => a * b, 1)),
): Float32Array {
  const size = featureShape.reduce((a, b) => a * b, 1);
  const q = variants.length;
  if (out.length < count * q * size) throw new RangeError(`output holds ${out.length} values, ${count * q * size} needed`);
  const geometry = imageGeometry(featureShape);
  if (needsImages(variants) && geometry === undefined) {
    throw new RangeError(`mirror and shift queries need HxW or HxWxC records, not shape [${featureShape.join(', ')}]`);
  }
  for (let r = 0; r < count; r++) {
    const src = features.subarray((first + r) * size, (first + r + 1) * size);
    for (let v = 0; v < q; v++) {
      const dst = out.subarray((r * q + v) * size, (r * q + v + 1) * size);
      const variant = variants[v];
      if (!variant.mirror && variant.dy === 0 && variant.dx === 0) dst.set(src);
      else transform(src, dst, geometry as ImageGeometry, variant);
    }
  }
  return out;
}

/** dst[y][x] = src[y - dy][mirror ? W-1-(x - dx) : x - dx], 0 outside the image. */
function transform(src: Float32Array, dst: Float32Array, g: ImageGeometry, v: QueryVariant): void {
  const { height, width, channels } = g;
  for (let y = 0; y < height; y++) {
    const sy = y - v.dy;
    for (let x = 0; x < width; x++) {
      const sxShifted = x - v.dx;
      const o = (y * width + x) * channels;
      if (sy < 0 || sy >= height || sxShifted < 0 || sxShifted >= width) {
        dst.fill(0, o, o + channels);
        continue;
      }
      const sx = v.mirror ? width - 1 - sxShifted : sxShifted;
      const i = (sy * width + sx) * channels;
      for (let c = 0; c < channels; c++) dst[o + c] = src[i + c];
    }
  }
}
