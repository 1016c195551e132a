/** What `privacy-lint inspect` says about one artifact (its --format json output). */
import type { Finding } from '../report/schema';
import type { ArtifactFormat } from '../scan';

export type ArtifactKind = 'model' | 'dataset' | 'weights' | 'pickle' | 'unknown';

export interface InspectResult {
  /** Absolute path of the inspected file or folder. */
  file: string;
  kind: ArtifactKind;
  /** The scanner's format, or the dataset format / "images" for folders. */
  format: ArtifactFormat | string;
  /** Holds pickles: scanned statically, never handed to a loader. */
  pickleBased: boolean;
  /** Handed to a model or dataset loader (never when pickle-based). */
  loaded: boolean;
  /** Models: one record's input shape (null where free) and the number of classes. */
  inputShape?: (number | null)[];
  numClasses?: number;
  parameterCount?: number;
  /** Datasets: record count, one record's feature shape, records per class (index = class). */
  records?: number;
  featureShape?: number[];
  classCounts?: number[];
  /** safetensors: the tensors its header declares. */
  tensors?: { name: string; dtype: string; shape: number[] }[];
  lambdaLayers?: string[];
  findings: Finding[];
}
