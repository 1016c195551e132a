/**
 * Fresh initial weights for a Dense stack, drawn in JavaScript from the layers' own
 * initializer configs (tfjs-layers semantics), seeded per shadow and layer. This lets
 * the stacked trainer's workers start without loading TensorFlow.js at all (faster
 * start, less memory). Initializers not covered here return undefined and the caller
 * falls back to building the tfjs-layers model.
 */
import { isObject, type DenseStack } from './architecture';
import { deriveSeed, makeRandom, type Random } from './random';
import type { LayerWeights } from './stacked-mlp';

interface InitializerConfig {
  className: string;
  config: Record<string, unknown>;
}

type Mode = 'fanIn' | 'fanOut' | 'fanAvg';
type Distribution = 'normal' | 'uniform' | 'truncatedNormal' | 'untruncatedNormal';

/** Named variance-scaling initializers: [scale, mode, distribution] (tfjs-layers definitions). */
const VARIANCE_SCALING: Record<string, [number, Mode, Distribution]> = {
  GlorotUniform: [1, 'fanAvg', 'uniform'],
  GlorotNormal: [1, 'fanAvg', 'normal'],
  HeUniform: [2, 'fanIn', 'uniform'],
  HeNormal: [2, 'fanIn', 'normal'],
  LeCunUniform: [1, 'fanIn', 'uniform'],
  LeCunNormal: [1, 'fanIn', 'normal'],
};

/** Per layer of the stack, its kernel and bias initializer configs (tfjs-layers defaults when absent). */
function initializersOf(topology: Record<string, unknown>): { kernel: InitializerConfig; bias: InitializerConfig }[] {
  const config = topology.config;
  const layers = (Array.isArray(config) ? config : isObject(config) ? config.layers : []) as unknown[];
  const read = (value: unknown, fallback: string): InitializerConfig => {
    if (!isObject(value) || typeof value.class_name !== 'string') return { className: fallback, config: {} };
    return { className: value.class_name, config: isObject(value.config) ? value.config : {} };
  };
  return layers
    .filter((l): l is Record<string, unknown> => isObject(l) && l.class_name === 'Dense')
    .map((l) => {
      const c = isObject(l.config) ? l.config : {};
      return {
        kernel: read(c.kernel_initializer ?? c.kernelInitializer, 'GlorotUniform'),
        bias: read(c.bias_initializer ?? c.biasInitializer, 'Zeros'),
      };
    });
}

/** Initial weights of shadow s, or undefined when an initializer is not one handled here. */
export function denseInitialWeights(topology: Record<string, unknown>, stack: DenseStack, seed: number, shadow: number): LayerWeights[] | undefined {
  const configs = initializersOf(topology);
  if (configs.length !== stack.layers.length) return undefined;
  const layers: LayerWeights[] = [];
  let fanIn = stack.inputSize;
  for (const [l, spec] of stack.layers.entries()) {
    const kernel = draw(configs[l].kernel, [fanIn, spec.units], makeRandom(deriveSeed(seed, 'init', shadow, l, 0)));
    const bias = spec.useBias ? draw(configs[l].bias, [spec.units], makeRandom(deriveSeed(seed, 'init', shadow, l, 1))) : undefined;
    if (kernel === undefined || (spec.useBias && bias === undefined)) return undefined;
    layers.push({ kernel, bias });
    fanIn = spec.units;
  }
  return layers;
}

function draw(init: InitializerConfig, shape: number[], random: Random): Float32Array | undefined {
  const size = shape.reduce((a, b) => a * b, 1);
  // A plain loop: Float32Array.from with a map function is several times slower.
  const sample = (next: () => number): Float32Array => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = next();
    return out;
  };
  const c = init.config;
  const num = (key: string, fallback: number): number => (typeof c[key] === 'number' ? (c[key] as number) : fallback);
  switch (init.className) {
    case 'Zeros':
      return new Float32Array(size);
    case 'Ones':
      return new Float32Array(size).fill(1);
    case 'Constant':
      return new Float32Array(size).fill(num('value', 0));
    case 'RandomUniform': {
      const lo = num('minval', -0.05);
      const hi = num('maxval', 0.05);
      return sample(() => lo + (hi - lo) * random());
    }
    case 'RandomNormal': {
      const [mean, stddev] = [num('mean', 0), num('stddev', 0.05)];
      return sample(() => mean + stddev * gaussian(random));
    }
    case 'TruncatedNormal': {
      const [mean, stddev] = [num('mean', 0), num('stddev', 0.05)];
      return sample(() => mean + stddev * truncatedGaussian(random));
    }
  }
  const named = VARIANCE_SCALING[init.className];
  if (named === undefined && init.className !== 'VarianceScaling') return undefined;
  const [scale, mode, distribution] = named ?? [num('scale', 1), modeOf(c.mode), distributionOf(c.distribution)];
  if (mode === undefined || distribution === undefined) return undefined;
  // Dense kernels are [in, out]: fan in = in, fan out = out (tfjs computeFans for 2-D shapes).
  const [fanIn, fanOut] = shape.length === 2 ? [shape[0], shape[1]] : [Math.sqrt(size), Math.sqrt(size)];
  const n = mode === 'fanIn' ? fanIn : mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
  const variance = scale / Math.max(1, n);
  switch (distribution) {
    case 'uniform': {
      const limit = Math.sqrt(3 * variance);
      return sample(() => (2 * random() - 1) * limit);
    }
    // tfjs draws 'normal' from a normal truncated at two standard deviations, unscaled.
    case 'normal':
      return sample(() => Math.sqrt(variance) * truncatedGaussian(random));
    // Keras's truncated_normal rescales so the truncated distribution has the intended variance.
    case 'truncatedNormal':
      return sample(() => (Math.sqrt(variance) / 0.8796256610342398) * truncatedGaussian(random));
    case 'untruncatedNormal':
      return sample(() => Math.sqrt(variance) * gaussian(random));
  }
}

function modeOf(value: unknown): Mode | undefined {
  const modes: Record<string, Mode> = { fan_in: 'fanIn', fanIn: 'fanIn', fan_out: 'fanOut', fanOut: 'fanOut', fan_avg: 'fanAvg', fanAvg: 'fanAvg' };
  return value === undefined ? 'fanIn' : modes[String(value)];
}

function distributionOf(value: unknown): Distribution | undefined {
  const distributions: Record<string, Distribution> = {
    normal: 'normal', uniform: 'uniform', truncated_normal: 'truncatedNormal', truncatedNormal: 'truncatedNormal',
    untruncated_normal: 'untruncatedNormal', untruncatedNormal: 'untruncatedNormal',
  };
  return value === undefined ? 'normal' : distributions[String(value)];
}

/** Standard normal (Box-Muller). */
function gaussian(random: Random): number {
  const u = 1 - random(); // (0, 1]: log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Standard normal redrawn until within two standard deviations (tfjs truncatedNormal). */
function truncatedGaussian(random: Random): number {
  for (;;) {
    const x = gaussian(random);
    if (Math.abs(x) <= 2) return x;
  }
}
