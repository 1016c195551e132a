/**
 * ONNX models through onnxruntime-node, audited as a black box from their outputs.
 * onnxruntime-node's native addon is loaded on first use (the bundles carry it in
 * dist/native/onnxruntime/ for the platform they were built on; see esbuild.mjs), so a
 * machine where it cannot load still audits every other format.
 */
import { InputError } from '../../errors';
import { detectOutputKind, toProbabilities, type RawOutputKind } from './black-box-outputs';
import type { Classifier, PredictOptions } from './classifier';
import { readCapped } from './read-capped';
import { onnxParameterCount } from './onnx-protobuf';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

/** Largest .onnx file we read (protobuf itself stops at 2 GiB). */
export const MAX_ONNX_BYTES = 1024 ** 3;

let runtime: Promise<Ort> | undefined;

async function loadRuntime(file: string): Promise<Ort> {
  try {
    return await (runtime ??= import('onnxruntime-node'));
  } catch (e) {
    runtime = undefined;
    throw new InputError(
      `ONNX models need onnxruntime's native addon, which could not be loaded here (${(e as Error).message}); use a build made for this platform or convert the model to Keras/TF.js`,
      { file },
    );
  }
}

const FLOAT_TYPES = new Set(['float32', 'float64']);

export async function loadOnnxModel(file: string): Promise<Classifier> {
  const bytes = readCapped(file, MAX_ONNX_BYTES, 'ONNX');
  // Our own framing check first: it names the offset where a corrupt file breaks.
  const parameterCount = onnxParameterCount(bytes, file);
  const ort = await loadRuntime(file);
  let session: Session;
  try {
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (e) {
    throw new InputError(`onnxruntime could not load the model: ${(e as Error).message}`, { file });
  }
  try {
    return describe(session, file, parameterCount);
  } catch (e) {
    await session.release();
    throw e;
  }
}

function describe(session: Session, file: string, parameterCount: number): Classifier {
  if (session.inputNames.length !== 1 || session.outputNames.length < 1) {
    throw new InputError(`expected a model with one input, found ${session.inputNames.length} inputs (${session.inputNames.join(', ')})`, { file, field: 'graph.input' });
  }
  const input = session.inputMetadata[0];
  const output = session.outputMetadata[0];
  if (!input.isTensor || !FLOAT_TYPES.has(input.type)) {
    throw new InputError(`input "${input.name}" must be a float32 or float64 tensor, found ${input.isTensor ? input.type : 'a non-tensor value'}`, { file, field: `graph.input[0]` });
  }
  if (!output.isTensor) throw new InputError(`output "${output.name}" is not a tensor`, { file, field: 'graph.output[0]' });
  const shape = input.shape;
  if (shape.length < 2) throw new InputError(`input "${input.name}" has shape [${shape.join(', ')}]; expected [batch, features...]`, { file, field: 'graph.input[0]' });
  const symbolic = shape.slice(1).map((d, i) => ({ d, i: i + 1 })).filter(({ d }) => typeof d !== 'number' || d < 0);
  if (symbolic.length > 0) {
    throw new InputError(
      `input "${input.name}" has a dynamic shape [${shape.join(', ')}]: dimension ${symbolic[0].i} (${JSON.stringify(symbolic[0].d)}) is symbolic; only the batch dimension may be, so export the model with fixed feature dimensions`,
      { file, field: 'graph.input[0]' },
    );
  }
  const outShape = output.shape;
  const units = outShape[outShape.length - 1];
  if (outShape.length !== 2 || typeof units !== 'number' || units < 1) {
    throw new InputError(`output "${output.name}" has shape [${outShape.join(', ')}]; expected [batch, classes] with a fixed number of classes`, { file, field: 'graph.output[0]' });
  }
  const fixedBatch = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : undefined;
  return new OnnxClassifier(file, session, input.name, output.name, input.type as 'float32' | 'float64',
    shape.slice(1) as number[], units, fixedBatch, parameterCount);
}

class OnnxClassifier implements Classifier {
  readonly format = 'onnx';
  readonly numClasses: number;
  private kind: RawOutputKind | undefined;

  constructor(
    readonly file: string,
    private readonly session: Session,
    private readonly inputName: string,
    private readonly outputName: string,
    private readonly inputType: 'float32' | 'float64',
    readonly inputShape: number[],
    private readonly units: number,
    /** A batch dimension fixed in the graph (e.g. 1): every run feeds exactly that many. */
    private readonly fixedBatch: number | undefined,
    readonly parameterCount: number,
  ) {
    this.numClasses = units === 1 ? 2 : units;
  }

  async predictProbabilities(features: Float32Array, featureShape: number[], count: number, options: PredictOptions = {}): Promise<Float32Array> {
    const per = this.inputShape.reduce((a, b) => a * b, 1);
    const given = featureShape.reduce((a, b) => a * b, 1);
    if (given !== per) {
      throw new InputError(`records have shape [${featureShape.join(', ')}] but the model's input takes [${this.inputShape.join(', ')}]`, { file: this.file, field: 'graph.input[0]' });
    }
    const batchSize = this.fixedBatch ?? options.batchSize ?? 512;
    const ort = await loadRuntime(this.file);
    const out = new Float32Array(count * this.numClasses);
    for (let start = 0; start < count; start += batchSize) {
      if (options.signal?.aborted) throw new DOMException('The audit was cancelled', 'AbortError');
      const n = Math.min(batchSize, count - start);
      const rows = this.fixedBatch ?? n;
      const slice = features.subarray(start * per, (start + n) * per);
      const data = this.inputType === 'float64' ? new Float64Array(rows * per) : new Float32Array(rows * per);
      data.set(slice);
      const feeds = { [this.inputName]: new ort.Tensor(this.inputType, data, [rows, ...this.inputShape]) };
      const result = await this.session.run(feeds);
      const tensor = result[this.outputName];
      const values = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data as ArrayLike<number>);
      if (values.length < n * this.units) {
        throw new InputError(`output "${this.outputName}" gave ${values.length} values for ${n} records of ${this.units} classes`, { file: this.file, field: 'graph.output[0]' });
      }
      const raw = values.subarray(0, n * this.units);
      // Decided once, on the first batch, so every record is converted the same way.
      this.kind ??= detectOutputKind(raw, n, this.units);
      out.set(toProbabilities(raw, n, this.units, this.kind), start * this.numClasses);
      tensor.dispose();
      await new Promise((r) => setImmediate(r));
    }
    return out;
  }

  dispose(): void {
    void this.session.release();
  }
}
