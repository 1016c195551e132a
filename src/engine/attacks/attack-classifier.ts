/**
 * The attack classifier of shadow-model attacks: L2-regularised logistic regression, in
 * plain TypeScript and float64, fitted by Newton's method with step halving.
 *
 * Why not a tfjs MLP: the inputs are a handful of features (a sorted top-k probability
 * vector and the true-class probability, in log space), a convex model trains to its
 * unique optimum in a few milliseconds, deterministically (no initialisation seed, no
 * float32 mini-batch noise), and a threshold on log-odds such as LiRA's statistic is
 * linear in these features, so little is lost against a small network.
 */

export interface LogisticRegressionOptions {
  /** Ridge penalty on the weights (not the intercept), on standardised features. */
  l2?: number;
  maxIterations?: number;
  /** Stop when no coefficient moves more than this. */
  tolerance?: number;
}

export interface LogisticModel {
  dims: number;
  /** Feature standardisation learned from the training rows. */
  mean: Float64Array;
  scale: Float64Array;
  weights: Float64Array;
  intercept: number;
  iterations: number;
}

export const LOGISTIC_DEFAULTS = { l2: 1, maxIterations: 100, tolerance: 1e-9 } as const;

/** Fits P(target = 1 | row) = sigmoid(w . standardise(row) + b) on rows x dims features. */
export function trainLogisticRegression(
  features: Float64Array,
  dims: number,
  targets: Uint8Array,
  options: LogisticRegressionOptions = {},
): LogisticModel {
  const rows = targets.length;
  if (features.length !== rows * dims) throw new Error(`expected ${rows} x ${dims} features, got ${features.length}`);
  if (rows === 0) throw new Error('cannot train an attack classifier on no rows');
  const l2 = options.l2 ?? LOGISTIC_DEFAULTS.l2;
  const maxIterations = options.maxIterations ?? LOGISTIC_DEFAULTS.maxIterations;
  const tolerance = options.tolerance ?? LOGISTIC_DEFAULTS.tolerance;

  const { mean, scale } = standardisation(features, dims, rows);
  const x = new Float64Array(rows * (dims + 1)); // standardised, with a trailing 1 for the intercept
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dims; j++) x[r * (dims + 1) + j] = (features[r * dims + j] - mean[j]) / scale[j];
    x[r * (dims + 1) + dims] = 1;
  }
  const p = dims + 1;
  // A tiny ridge on the intercept keeps the Hessian invertible when one class is absent.
  const penalty = Float64Array.from({ length: p }, (_, j) => (j < dims ? l2 : 1e-8));
  let theta = new Float64Array(p);
  let loss = objective(x, targets, theta, penalty);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const gradient = new Float64Array(p);
    const hessian = new Float64Array(p * p);
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * p, (r + 1) * p);
      const prob = sigmoid(dot(row, theta));
      const residual = prob - targets[r];
      const weight = prob * (1 - prob);
      for (let a = 0; a < p; a++) {
        gradient[a] += residual * row[a];
        for (let b = 0; b <= a; b++) hessian[a * p + b] += weight * row[a] * row[b];
      }
    }
    for (let a = 0; a < p; a++) {
      gradient[a] += penalty[a] * theta[a];
      hessian[a * p + a] += penalty[a];
      for (let b = 0; b < a; b++) hessian[b * p + a] = hessian[a * p + b];
    }
    const step = solveSymmetricPositiveDefinite(hessian, gradient, p);
    // Newton steps can overshoot far from the optimum; halve until the objective decreases.
    let factor = 1;
    let next = theta;
    let nextLoss = loss;
    for (let halvings = 0; halvings < 30; halvings++, factor /= 2) {
      next = theta.map((t, j) => t - factor * step[j]);
      nextLoss = objective(x, targets, next, penalty);
      if (nextLoss <= loss) break;
    }
    const moved = Math.max(...next.map((t, j) => Math.abs(t - theta[j])));
    theta = next;
    loss = nextLoss;
    if (moved < tolerance) {
      iterations++;
      break;
    }
  }
  return { dims, mean, scale, weights: theta.slice(0, dims), intercept: theta[dims], iterations };
}

/** P(target = 1) for one row of raw (unstandardised) features. */
export function logisticProbability(model: LogisticModel, row: ArrayLike<number>): number {
  let z = model.intercept;
  for (let j = 0; j < model.dims; j++) z += model.weights[j] * ((row[j] - model.mean[j]) / model.scale[j]);
  return sigmoid(z);
}

function standardisation(features: Float64Array, dims: number, rows: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(dims);
  const scale = new Float64Array(dims);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dims; j++) mean[j] += features[r * dims + j];
  for (let j = 0; j < dims; j++) mean[j] /= rows;
  for (let r = 0; r < rows; r++) for (let j = 0; j < dims; j++) scale[j] += (features[r * dims + j] - mean[j]) ** 2;
  // A constant feature keeps scale 1: it then only shifts the intercept, which the ridge absorbs.
  for (let j = 0; j < dims; j++) scale[j] = Math.sqrt(scale[j] / rows) || 1;
  return { mean, scale };
}

/** Negative log-likelihood summed over rows, plus the ridge term. */
function objective(x: Float64Array, targets: Uint8Array, theta: Float64Array, penalty: Float64Array): number {
  const p = theta.length;
  let total = 0;
  for (let r = 0; r < targets.length; r++) {
    const z = dot(x.subarray(r * p, (r + 1) * p), theta);
    // -log sigmoid(z) = softplus(-z), -log(1 - sigmoid(z)) = softplus(z), computed stably
    total += targets[r] ? softplus(-z) : softplus(z);
  }
  for (let j = 0; j < p; j++) total += 0.5 * penalty[j] * theta[j] * theta[j];
  return total;
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Solves A x = b by Cholesky (A symmetric positive definite, n x n row-major). */
function solveSymmetricPositiveDefinite(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new Error('attack classifier: the Hessian is not positive definite');
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}
