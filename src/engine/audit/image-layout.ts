/**
 * Image records in the model's layout: records stored channels-last (height, width, channel)
 * fed to a channels-first model (PyTorch exported to ONNX), or the other way round, are
 * transposed, not reshaped. The stored layout is the manifest's "layout", else what a 3-D
 * record shape says, else (flat records) the layout under which the model is more accurate on
 * its members, which is reported as a choice.
 */
import type { Dataset, ImageLayout } from '../artifacts/dataset';
import { recordSize } from '../artifacts/dataset';
import type { Classifier } from '../artifacts/models';
import { applyPreprocess, AuditSettingError } from '../artifacts/datasets/preprocess';
import { accuracy } from './record-checks';

/** Channel counts an image model's input can have (grey, grey+alpha, RGB, RGBA). */
const MAX_CHANNELS = 4;
/** Members queried twice to choose a layout: enough to tell 1/k from a trained model's accuracy. */
const DETECTION_RECORDS = 1000;

export interface LayoutChoice {
  /** How the records were stored. */
  stored: ImageLayout;
  /** How the model takes them. */
  model: ImageLayout;
  /** True when nothing said how the records are stored and the engine chose by accuracy. */
  detected: boolean;
  /** True when the manifest's "layout" said it. */
  explicit?: boolean;
  /** Member accuracy under each stored layout, when detected or explicit (an explicit layout is checked against the other). */
  accuracy?: Record<ImageLayout, number>;
  /** Members the detection queried. */
  records?: number;
}

/** The model's own layout when its input shape says it: [c, h, w] or [h, w, c] with a few channels at one end only. */
export function modelLayoutOf(inputShape: readonly (number | null)[]): ImageLayout | undefined {
  if (inputShape.length !== 3 || inputShape.some((d) => d === null)) return undefined;
  const [a, , c] = inputShape as number[];
  const first = a <= MAX_CHANNELS;
  const last = c <= MAX_CHANNELS;
  if (first === last) return undefined;
  return first ? 'nchw' : 'nhwc';
}

/** [h, w, c] of a 3-D shape in the given layout. */
function hwc(shape: readonly number[], layout: ImageLayout): [number, number, number] {
  return layout === 'nhwc' ? [shape[0], shape[1], shape[2]] : [shape[1], shape[2], shape[0]];
}

function shapeIn(dims: [number, number, number], layout: ImageLayout): number[] {
  const [h, w, c] = dims;
  return layout === 'nhwc' ? [h, w, c] : [c, h, w];
}

const other = (l: ImageLayout): ImageLayout => (l === 'nhwc' ? 'nchw' : 'nhwc');

/**
 * How records of `storedShape` reach a model of `inputShape`: no layout question (undefined),
 * a known stored layout, or 'detect' when both fit and nothing says which.
 */
export function storedLayout(storedShape: readonly number[], inputShape: readonly (number | null)[], explicit: ImageLayout | undefined, modelFile = 'model'): ImageLayout | 'detect' | undefined {
  const model = modelLayoutOf(inputShape);
  if (!model) {
    if (explicit && inputShape.length === 3) {
      throw new AuditSettingError(
        `"layout": "${explicit}" is set, but the model's input [${inputShape.join(', ')}] does not say where its channel axis is (expected a few channels at one end, e.g. [3, 32, 32] or [32, 32, 3])`,
        { file: modelFile }, ['layout'],
      );
    }
    return undefined;
  }
  const dims = hwc(inputShape as number[], model);
  // One channel: both layouts are the same bytes.
  if (dims[2] === 1 || recordSize(storedShape) !== recordSize(dims)) return undefined;
  if (explicit) return explicit;
  const same = (s: number[]) => s.length === storedShape.length && s.every((d, i) => d === storedShape[i]);
  const asModel = same(shapeIn(dims, model));
  const asOther = same(shapeIn(dims, other(model)));
  if (asModel !== asOther) return asModel ? model : other(model);
  return 'detect';
}

/**
 * Records stored in `from` rearranged into the model's layout, shaped as the model's input; per-channel
 * statistics the loader could not place (flat records) are applied first, on the channel `from` says.
 */
export function toModelLayout(ds: Dataset, from: ImageLayout, inputShape: readonly number[]): Dataset {
  const model = modelLayoutOf(inputShape)!;
  const { channelStats, ...rest } = ds;
  let features = ds.features;
  if (channelStats) {
    features = Float32Array.from(features);
    applyPreprocess(features, [recordSize(ds.featureShape)], { layout: from, standardisation: channelStats }, ds.source);
  }
  if (from === model) return { ...rest, features, featureShape: [...inputShape] };
  const [h, w, c] = hwc(inputShape, model);
  return { ...rest, features: transposeRecords(features, ds.count, from, [h, w, c]), featureShape: [...inputShape] };
}

/** Element-count-preserving transpose of records from `from` to the other layout; dims are [h, w, c]. */
export function transposeRecords(features: Float32Array, count: number, from: ImageLayout, [h, w, c]: readonly [number, number, number]): Float32Array {
  const out = new Float32Array(features.length);
  const size = h * w * c;
  for (let r = 0; r < count; r++) {
    const base = r * size;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          const last = base + (y * w + x) * c + k;
          const first = base + (k * h + y) * w + x;
          if (from === 'nhwc') out[first] = features[last];
          else out[last] = features[first];
        }
      }
    }
  }
  return out;
}

/** At most `max` records spread evenly over the dataset (files sorted by class must not give one class). */
function spreadSample(ds: Dataset, max: number): Dataset {
  if (ds.count <= max) return ds;
  const size = recordSize(ds.featureShape);
  const features = new Float32Array(max * size);
  const labels = new Int32Array(max);
  for (let i = 0; i < max; i++) {
    const r = Math.floor((i * ds.count) / max);
    features.set(ds.features.subarray(r * size, (r + 1) * size), i * size);
    labels[i] = ds.labels[r];
  }
  return { ...ds, count: max, features, labels };
}

/**
 * The datasets in the model's layout and how they were stored. A dataset whose stored layout
 * nothing says takes the one under which the model is more accurate on (up to
 * DETECTION_RECORDS, spread over the) members; a tie keeps channels-last, the common way images are stored.
 */
export async function arrangeLayouts(
  model: Classifier,
  explicit: ImageLayout | undefined,
  datasets: { data: Dataset; stored: number[] }[],
  members: Dataset,
  signal?: AbortSignal,
): Promise<{ datasets: Dataset[]; choice?: LayoutChoice }> {
  const inputShape = model.inputShape;
  const modelLayout = modelLayoutOf(inputShape);
  const plans = datasets.map((d) => storedLayout(d.stored, inputShape, explicit, model.file));
  // Per-channel statistics on flat records that no layout question places: only "layout" can.
  const unplaced = datasets.find((d, i) => plans[i] === undefined && d.data.channelStats);
  if (unplaced) {
    throw new AuditSettingError(
      `preprocess.mean/std have one value per channel, but the records (shape [${unplaced.stored.join(', ')}]) and the model's input [${inputShape.join(', ')}] do not say where the channel axis is; set "layout" ("nhwc" or "nchw")`,
      { file: unplaced.data.source, field: 'layout' }, ['layout'],
    );
  }
  if (!modelLayout || plans.every((p) => p === undefined)) return { datasets: datasets.map((d) => d.data) };
  let detected: LayoutChoice | undefined;
  // Both layouts are tried when nothing says which, and to check an explicit one against the other.
  const compare = plans.includes('detect') || (explicit !== undefined && plans[0] !== undefined);
  if (compare) {
    const sample = spreadSample(members, DETECTION_RECORDS);
    const n = sample.count;
    const acc = {} as Record<ImageLayout, number>;
    for (const layout of ['nhwc', 'nchw'] as const) {
      const arranged = toModelLayout(sample, layout, inputShape as number[]);
      const p = await model.predictProbabilities(arranged.features, arranged.featureShape, n, { signal });
      acc[layout] = accuracy(p, sample.labels, model.numClasses);
    }
    const stored: ImageLayout = explicit ?? (acc.nchw > acc.nhwc ? 'nchw' : 'nhwc');
    detected = { stored, model: modelLayout, detected: explicit === undefined, ...(explicit ? { explicit: true } : {}), accuracy: acc, records: n };
  }
  const firstKnown = plans.find((p): p is ImageLayout => p === 'nhwc' || p === 'nchw');
  // Without an explicit layout, a 3-D record shape says how records are stored.
  const arranged = datasets.map((d, i) => {
    const plan = plans[i];
    if (plan === undefined) return d.data;
    return toModelLayout(d.data, plan === 'detect' ? detected!.stored : plan, inputShape as number[]);
  });
  const choice = detected ?? { stored: firstKnown!, model: modelLayout, detected: false };
  return { datasets: arranged, choice };
}
