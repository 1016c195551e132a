/** What a format reader produces, before a labels file, scaling and checks are applied. */
export interface LoadedRecords {
  count: number;
  featureShape: number[];
  features: Float32Array;
  /** Absent when the file holds features only (NPY, IDX images). */
  labels?: Int32Array;
  /** Class name of each label index, when the format names classes (image folders). */
  labelNames?: string[];
}
