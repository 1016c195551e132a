/** What the attacks need from any model: class probabilities for a batch of records. */
export interface Classifier {
  /** The file the model came from (model.json, .h5, .onnx ...). */
  file: string;
  format: string;
  /** Input shape of one record (batch dimension removed); null where free. */
  inputShape: (number | null)[];
  numClasses: number;
  parameterCount: number;
  /**
   * Class probabilities, record after record (count * numClasses values). Models whose
   * last layer outputs logits get a softmax; single-unit sigmoid models become [1-p, p].
   */
  predictProbabilities(features: Float32Array, featureShape: number[], count: number, options?: PredictOptions): Promise<Float32Array>;
  dispose(): void;
}

export interface PredictOptions {
  batchSize?: number;
  signal?: AbortSignal;
}
