/**
 * Renyi-DP accounting for DP-SGD: the Poisson-subsampled Gaussian mechanism (Mironov
 * 2017; Mironov, Talwar, Zhang 2019), computed the way TensorFlow Privacy's
 * compute_rdp / get_privacy_spent do, so an epsilon we report for a model trained with
 * DP-SGD agrees with the number its training script printed.
 *
 * Everything runs in log space: the terms of the series reach e^(alpha^2 / 2 sigma^2)
 * and would overflow a double long before the RDP itself is large.
 */

/**
 * TF Privacy's compute_dp_sgd_privacy order list: fractional orders near 1 matter for
 * large noise, large orders for small noise.
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5,
  ...Array.from({ length: 59 }, (_, i) => i + 5), // 5..63
  128, 256, 512,
]);

/** How RDP converts to (epsilon, delta). */
export type RdpConversion =
  /** Mironov 2017 Prop. 3: eps = rdp - log(delta) / (alpha - 1). */
  | 'classic'
  /**
   * Balle et al. 2020 / Canonne, Kamath, Steinke 2020, used by current TF Privacy:
   * eps = rdp - (log(delta) + log(alpha)) / (alpha - 1) + log((alpha - 1) / alpha).
   * Never larger than the classic bound.
   */
  | 'improved';

export interface PrivacySpent {
  epsilon: number;
  /** The order that gave the smallest epsilon. */
  optimalOrder: number;
}

export type DpSgdParams = {
  /** Poisson sampling rate q = batch size / dataset size, in (0, 1]. */
  samplingRate: number;
  /** Noise standard deviation divided by the clipping norm. */
  noiseMultiplier: number;
  delta: number;
  conversion?: RdpConversion;
  orders?: readonly number[];
} & ({ steps: number; epochs?: undefined } | { epochs: number; steps?: undefined });

export interface DpSgdResult extends PrivacySpent {
  steps: number;
}

function checkSamplingRate(q: number): void {
  if (!(q > 0 && q <= 1)) throw new RangeError(`samplingRate (q) must be in (0, 1], got ${q}`);
}
function checkNoise(sigma: number): void {
  if (!(sigma > 0) || !Number.isFinite(sigma)) {
    throw new RangeError(`noiseMultiplier (sigma) must be a finite number > 0, got ${sigma}`);
  }
}
function checkSteps(steps: number): void {
  if (!(steps >= 1) || !Number.isInteger(steps)) {
    throw new RangeError(`steps must be an integer >= 1, got ${steps}`);
  }
}
function checkDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
}
function checkOrders(orders: readonly number[]): void {
  if (orders.length === 0) throw new RangeError('orders must not be empty');
  for (const a of orders) {
    if (!(a > 1)) throw new RangeError(`orders must all be > 1, got ${a}`);
  }
}

function logAddExp(a: number, b: number): number {
  const hi = Math.max(a, b);
  if (hi === -Infinity) return -Infinity;
  return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
}

/** log(exp(a) - exp(b)) for a >= b; the alternating series of fractional orders needs it. */
function logSubExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (a < b) throw new RangeError('logSubExp: result would be negative');
  if (a === b) return -Infinity;
  return a + Math.log(-Math.expm1(b - a));
}

/** erf by its Taylor series; accurate to ~1e-16 absolute for |x| < 3. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * log(erfc(x) * e^(x^2) * sqrt(pi)) for x >= 2.5 by the Laplace continued fraction
 * (modified Lentz). Keeping e^(-x^2) out lets log erfc go far past where erfc underflows.
 */
function logScaledErfcCf(x: number): number {
  // erfc(x) e^{x^2} sqrt(pi) = 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -Math.log(f);
}

/** log(erfc(x)) without underflow for large positive x. */
function logErfc(x: number): number {
  if (x >= 2.5) return -x * x - 0.5 * Math.log(Math.PI) + logScaledErfcCf(x);
  // erfc(x) = 2 - erfc(-x), and erfc(-x) < 5e-4 here, so no cancellation.
  if (x <= -2.5) return Math.log(2 - Math.exp(logErfc(-x)));
  return Math.log(1 - erfSeries(x));
}

/** log A_alpha for integer alpha: the binomial expansion of MTZ 2019, Sec. 3.3. */
function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  let logBinom = 0; // log C(alpha, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log((alpha - i + 1) / i);
    const s = logBinom + i * Math.log(q) + (alpha - i) * Math.log1p(-q) + (i * i - i) / (2 * sigma * sigma);
    logA = logAddExp(logA, s);
  }
  return logA;
}

/**
 * log A_alpha for fractional alpha: the two-sided series of MTZ 2019, Sec. 3.3, split at
 * z0 where the two Gaussians' densities cross. Generalised binomial coefficients change
 * sign once i > alpha, so positive and negative terms are accumulated separately.
 */
function logAFrac(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  let coef = 1; // C(alpha, i), generalised
  // Terms decay geometrically once past alpha; the cap only guards against a bug.
  for (let i = 0; i < 100000; i++) {
    if (i > 0) coef *= (alpha - i + 1) / i;
    const logCoef = Math.log(Math.abs(coef));
    const j = alpha - i;
    const logT0 = logCoef + i * Math.log(q) + j * Math.log1p(-q);
    const logT1 = logCoef + j * Math.log(q) + i * Math.log1p(-q);
    const logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (coef > 0) {
      logA0 = logAddExp(logA0, logS0);
      logA1 = logAddExp(logA1, logS1);
    } else {
      logA0 = logSubExp(logA0, logS0);
      logA1 = logSubExp(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAddExp(logA0, logA1);
}

function rdpOneStep(q: number, sigma: number, alpha: number): number {
  // Without subsampling this is the plain Gaussian mechanism (Mironov 2017, Prop. 7).
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (alpha === Infinity) return Infinity;
  const logA = Number.isInteger(alpha) ? logAInt(q, sigma, alpha) : logAFrac(q, sigma, alpha);
  return logA / (alpha - 1);
}

/**
 * RDP of `steps` compositions of the sampled Gaussian mechanism at each order
 * (composition adds RDP, so it is the one-step value times steps).
 */
export function computeRdp(
  q: number,
  noiseMultiplier: number,
  steps: number,
  orders: readonly number[] = DEFAULT_RDP_ORDERS,
): number[] {
  checkSamplingRate(q);
  checkNoise(noiseMultiplier);
  checkSteps(steps);
  checkOrders(orders);
  return orders.map((alpha) => rdpOneStep(q, noiseMultiplier, alpha) * steps);
}

/** Smallest epsilon over the orders for the given delta. */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
  conversion: RdpConversion = 'classic',
): PrivacySpent {
  checkOrders(orders);
  checkDelta(delta);
  if (rdp.length !== orders.length) {
    throw new RangeError(`rdp must have one value per order: ${rdp.length} values for ${orders.length} orders`);
  }
  let best: PrivacySpent = { epsilon: Infinity, optimalOrder: NaN };
  orders.forEach((alpha, k) => {
    const r = rdp[k];
    if (r === undefined || r < 0) throw new RangeError(`rdp must be >= 0, got ${r} at order ${alpha}`);
    const eps =
      conversion === 'classic'
        ? r - Math.log(delta) / (alpha - 1)
        : r - (Math.log(delta) + Math.log(alpha)) / (alpha - 1) + Math.log((alpha - 1) / alpha);
    // The improved bound can dip below zero for tiny rdp; epsilon is never negative.
    const clipped = Math.max(0, eps);
    if (clipped < best.epsilon) best = { epsilon: clipped, optimalOrder: alpha };
  });
  return best;
}

/**
 * Epsilon of a DP-SGD run. Epochs become steps as TF Privacy's compute_dp_sgd_privacy
 * does: ceil(epochs / q), i.e. ceil(epochs * n / batch size).
 */
export function dpSgdEpsilon(params: DpSgdParams): DpSgdResult {
  const { samplingRate, noiseMultiplier, delta } = params;
  checkSamplingRate(samplingRate);
  checkNoise(noiseMultiplier);
  checkDelta(delta);
  let steps: number;
  if (params.steps !== undefined) {
    steps = params.steps;
  } else {
    const epochs = params.epochs;
    if (!(epochs > 0) || !Number.isFinite(epochs)) throw new RangeError(`epochs must be a finite number > 0, got ${epochs}`);
    // The slack keeps float noise (60 / (256 / 60000) = 14062.500000000002) from adding a step
    // when epochs / q is meant to be whole.
    steps = Math.ceil(epochs / samplingRate - 1e-9);
  }
  checkSteps(steps);
  const orders = params.orders ?? DEFAULT_RDP_ORDERS;
  const rdp = computeRdp(samplingRate, noiseMultiplier, steps, orders);
  return { ...epsilonFromRdp(orders, rdp, delta, params.conversion), steps };
}
