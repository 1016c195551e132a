/** A loaded dataset: dense float features in row-major order plus integer labels. */
export interface Dataset {
  /** File the records came from (for messages and relatedInformation). */
  source: string;
  /** Number of records. */
  count: number;
  /** Shape of one record's features, e.g. [784] or [28, 28]. */
  featureShape: number[];
  /** count * product(featureShape) values, record after record. */
  features: Float32Array;
  /** One class index per record (0-based). */
  labels: Int32Array;
  /** Class name of each label index, when the format names classes (image folder names). */
  labelNames?: string[];
  /** Per-channel mean/std not applied yet: flat records whose layout the audit detects (see audit/image-layout.ts). */
  channelStats?: { mean: Float64Array; std: Float64Array };
}

/** How to read one dataset file; comes from the manifest or from detection. */
export interface DatasetSpec {
  path: string;
  /**
   * Inferred from the extension when absent (.csv .tsv .jsonl .npy .npz .idx .gz .parquet
   * .arrow .feather); a folder is an image folder (one sub-folder per class).
   */
  format?: 'csv' | 'tsv' | 'jsonl' | 'npy' | 'npz' | 'idx' | 'parquet' | 'arrow' | 'images';
  /** CSV/TSV/JSONL/Parquet/Arrow: label column by name or 0-based index. Default: label/target/y/class. */
  label?: string | number;
  /** A separate file holding the labels (NPY, IDX, or one label per line). */
  labelsPath?: string;
  /** NPZ: member names of features and labels. Default: x/y, then features/labels. */
  featuresKey?: string;
  labelsKey?: string;
  /** Preprocessing applied to features after loading: (x * scale + offset - mean) / std. */
  scale?: number;
  offset?: number;
  /** One number, one per feature, one per channel (see layout), or an NPY file (absolute path) of them. */
  mean?: number | number[] | string;
  std?: number | number[] | string;
  /** How image records are stored: channels last (nhwc) or first (nchw); absent: from the shape, or detected. */
  layout?: ImageLayout;
}

export type ImageLayout = 'nhwc' | 'nchw';

/** The records of a followed by those of b (same feature shape); named after a. */
export function concatDatasets(a: Dataset, b: Dataset): Dataset {
  const features = new Float32Array(a.features.length + b.features.length);
  features.set(a.features);
  features.set(b.features, a.features.length);
  const labels = new Int32Array(a.count + b.count);
  labels.set(a.labels);
  labels.set(b.labels, a.count);
  return { source: a.source, count: a.count + b.count, featureShape: a.featureShape, features, labels };
}

export function recordSize(featureShape: readonly number[]): number {
  return featureShape.reduce((a, b) => a * b, 1);
}
