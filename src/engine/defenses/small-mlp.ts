/**
 * A one-hidden-layer perceptron in float64 for the learned output defenses: MemGuard's
 * defender attack model and PURIFIER's reshaping model. They work on confidence vectors of
 * a few to a few dozen values, so plain loops beat TensorFlow's per-op overhead, and
 * float64 with a seeded init makes every audit reproduce bit for bit.
 */
import { gaussianRandom } from '../random';

export interface Mlp {
  inputs: number;
  hidden: number;
  outputs: number;
  /** hidden x inputs, row-major. */
  w1: Float64Array;
  b1: Float64Array;
  /** outputs x hidden, row-major. */
  w2: Float64Array;
  b2: Float64Array;
}

export interface MlpActivations {
  hidden: Float64Array;
  output: Float64Array;
}

/** Glorot-normal weights from `seed`, zero biases. */
export function createMlp(inputs: number, hidden: number, outputs: number, seed: number): Mlp {
  for (const [name, v] of [['inputs', inputs], ['hidden', hidden], ['outputs', outputs]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`mlp ${name} must be an integer >= 1, got ${v}`);
  }
  const normal = gaussianRandom(seed);
  const layer = (fanIn: number, fanOut: number) => {
    const scale = Math.sqrt(2 / (fanIn + fanOut));
    return Float64Array.from({ length: fanIn * fanOut }, () => scale * normal());
  };
  return { inputs, hidden, outputs, w1: layer(inputs, hidden), b1: new Float64Array(hidden), w2: layer(hidden, outputs), b2: new Float64Array(outputs) };
}

/** Activation buffers for mlpForward, so a hot loop (MemGuard's noise search) allocates nothing per call. */
export function mlpActivations(mlp: Mlp): MlpActivations {
  return { hidden: new Float64Array(mlp.hidden), output: new Float64Array(mlp.outputs) };
}

/** tanh hidden layer, linear output (the caller applies sigmoid or softmax in its loss); into `act` when given. */
export function mlpForward(mlp: Mlp, x: Float64Array, act: MlpActivations = mlpActivations(mlp)): MlpActivations {
  const { hidden, output } = act;
  for (let h = 0; h < mlp.hidden; h++) {
    let a = mlp.b1[h];
    for (let i = 0; i < mlp.inputs; i++) a += mlp.w1[h * mlp.inputs + i] * x[i];
    hidden[h] = Math.tanh(a);
  }
  for (let o = 0; o < mlp.outputs; o++) {
    let a = mlp.b2[o];
    for (let h = 0; h < mlp.hidden; h++) a += mlp.w2[o * mlp.hidden + h] * hidden[h];
    output[o] = a;
  }
  return act;
}

/** d(loss)/d(hidden pre-activation) from d(loss)/d(output), into `delta` when given. */
function hiddenDelta(mlp: Mlp, act: MlpActivations, dOutput: Float64Array, delta: Float64Array = new Float64Array(mlp.hidden)): Float64Array {
  for (let h = 0; h < mlp.hidden; h++) {
    let g = 0;
    for (let o = 0; o < mlp.outputs; o++) g += mlp.w2[o * mlp.hidden + h] * dOutput[o];
    delta[h] = g * (1 - act.hidden[h] * act.hidden[h]);
  }
  return delta;
}

/** Gradient of the loss with respect to the input, given d(loss)/d(output); `scratch` (hidden units long) spares an allocation. */
export function mlpInputGradient(mlp: Mlp, act: MlpActivations, dOutput: Float64Array, scratch?: Float64Array): Float64Array {
  const delta = hiddenDelta(mlp, act, dOutput, scratch);
  const grad = new Float64Array(mlp.inputs);
  for (let h = 0; h < mlp.hidden; h++) for (let i = 0; i < mlp.inputs; i++) grad[i] += mlp.w1[h * mlp.inputs + i] * delta[h];
  return grad;
}

/** Per-example loss and d(loss)/d(output); writes the gradient into `dOutput`. */
export type OutputLoss = (output: Float64Array, example: number, dOutput: Float64Array) => number;

export interface MlpTraining {
  epochs: number;
  learningRate: number;
  /** L2 penalty on weights (not biases). */
  weightDecay?: number;
}

/**
 * Full-batch Adam on the mean loss over `inputs`. Returns the mean loss of each epoch
 * (before its update), so tests can check that training converged.
 */
export function trainMlp(mlp: Mlp, inputs: readonly Float64Array[], loss: OutputLoss, training: MlpTraining): number[] {
  const { epochs, learningRate } = training;
  const decay = training.weightDecay ?? 0;
  if (inputs.length === 0) throw new RangeError('mlp training needs at least one example');
  const params = [mlp.w1, mlp.b1, mlp.w2, mlp.b2];
  const decays = [decay, 0, decay, 0];
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const beta1 = 0.9;
  const beta2 = 0.999;
  const history: number[] = [];
  const dOutput = new Float64Array(mlp.outputs);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const grads = params.map((p) => new Float64Array(p.length));
    const [g1, gb1, g2, gb2] = grads;
    let total = 0;
    inputs.forEach((x, n) => {
      const act = mlpForward(mlp, x);
      dOutput.fill(0);
      total += loss(act.output, n, dOutput);
      for (let o = 0; o < mlp.outputs; o++) {
        gb2[o] += dOutput[o];
        for (let h = 0; h < mlp.hidden; h++) g2[o * mlp.hidden + h] += dOutput[o] * act.hidden[h];
      }
      const delta = hiddenDelta(mlp, act, dOutput);
      for (let h = 0; h < mlp.hidden; h++) {
        gb1[h] += delta[h];
        for (let i = 0; i < mlp.inputs; i++) g1[h * mlp.inputs + i] += delta[h] * x[i];
      }
    });
    history.push(total / inputs.length);
    const correction1 = 1 - beta1 ** epoch;
    const correction2 = 1 - beta2 ** epoch;
    params.forEach((p, k) => {
      for (let i = 0; i < p.length; i++) {
        const g = grads[k][i] / inputs.length + decays[k] * p[i];
        m[k][i] = beta1 * m[k][i] + (1 - beta1) * g;
        v[k][i] = beta2 * v[k][i] + (1 - beta2) * g * g;
        p[i] -= (learningRate * (m[k][i] / correction1)) / (Math.sqrt(v[k][i] / correction2) + 1e-8);
      }
    });
  }
  return history;
}
