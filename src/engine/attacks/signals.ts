/**
 * Per-record membership signals from a model's class probabilities, in float64.
 * Each is oriented so that a higher value means "more likely a member", the convention
 * every attack and metric uses; `rawSignal` gives the textbook value for reports.
 */
import type { SignalName } from './catalog';

/** Probabilities are clamped here before logs: float32 softmax outputs underflow to 0. */
const MIN_PROBABILITY = 1e-30;

export type SignalScores = Record<SignalName, Float64Array>;

export function computeSignals(probabilities: Float32Array, numClasses: number, labels: Int32Array): SignalScores {
  const n = labels.length;
  if (probabilities.length !== n * numClasses) {
    throw new Error(`expected ${n * numClasses} probabilities for ${n} records, got ${probabilities.length}`);
  }
  const loss = new Float64Array(n);
  const confidence = new Float64Array(n);
  const entropy = new Float64Array(n);
  const modifiedEntropy = new Float64Array(n);
  const lira = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const y = labels[r];
    const row = r * numClasses;
    let others = 0;
    for (let c = 0; c < numClasses; c++) if (c !== y) others += clampProbability(probabilities[row + c]);
    // A float32 softmax rounds p_y to exactly 1 for confident records, which would tie every
    // memorised record at loss 0. The other classes' mass is still resolved, so near 1 we
    // take p_y = 1 - others in float64 and log p_y = log1p(-others).
    const stored = clampProbability(probabilities[row + y]);
    const py = stored > 0.5 ? Math.max(MIN_PROBABILITY, 1 - others) : stored;
    const logPy = stored > 0.5 ? Math.log1p(-Math.min(others, 1 - MIN_PROBABILITY)) : Math.log(py);
    let ent = -py * Math.log(py);
    let mentr = -(1 - py) * logPy;
    for (let c = 0; c < numClasses; c++) {
      if (c === y) continue;
      const p = clampProbability(probabilities[row + c]);
      ent -= p * Math.log(p);
      mentr -= p * Math.log(Math.max(1 - p, MIN_PROBABILITY));
    }
    loss[r] = logPy; // = -(cross-entropy loss)
    confidence[r] = py;
    entropy[r] = -ent;
    modifiedEntropy[r] = -mentr;
    lira[r] = logPy - Math.log(Math.max(others, MIN_PROBABILITY));
  }
  return { loss, confidence, entropy, 'modified-entropy': modifiedEntropy, 'lira-statistic': lira };
}

function clampProbability(p: number): number {
  return Number.isFinite(p) ? Math.min(1, Math.max(MIN_PROBABILITY, p)) : NaN;
}

/** The signal's textbook value (loss, entropy ... as in the papers) from its oriented score. */
export function rawSignal(signal: SignalName, score: number): number {
  switch (signal) {
    case 'loss':
    case 'entropy':
    case 'modified-entropy':
      return -score;
    default:
      return score;
  }
}

export const SIGNAL_TITLES: Record<SignalName, string> = {
  loss: 'cross-entropy loss (Yeom et al.)',
  confidence: 'confidence in the true class (Salem et al.)',
  entropy: 'prediction entropy (Salem et al.)',
  'modified-entropy': 'modified entropy (Song & Mittal)',
  'lira-statistic': 'logit-scaled confidence, the LiRA statistic (Carlini et al.)',
};

/** Index of the largest probability for each record: the predicted class. */
export function predictedLabels(probabilities: Float32Array, numClasses: number): Int32Array {
  const n = probabilities.length / numClasses;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) out[r] = topClass(probabilities, r * numClasses, numClasses);
  return out;
}

/** The class with the highest probability in the row starting at `offset` (the first, on ties). */
export function topClass(probabilities: Float32Array, offset: number, numClasses: number): number {
  let best = 0;
  for (let c = 1; c < numClasses; c++) if (probabilities[offset + c] > probabilities[offset + best]) best = c;
  return best;
}

/** Per record of records x queries x classes probabilities: 1 when the identity (first) query's top class is the label. */
export function identityCorrect(probabilities: Float32Array, queries: number, numClasses: number, labels: Int32Array): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let r = 0; r < labels.length; r++) out[r] = topClass(probabilities, r * queries * numClasses, numClasses) === labels[r] ? 1 : 0;
  return out;
}
