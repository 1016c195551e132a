/**
 * Turns shadow-model outputs and the target's outputs into the inputs of the
 * reference-model attacks: per-record/per-query statistics (LiRA, difficulty calibration)
 * and per-record true-class probabilities (RMIA). Pure array work, no TensorFlow.
 */
import type { SignalName } from '../attacks/catalog';
import type { RmiaInput } from '../attacks/rmia';
import { SUMMARY_SIGNALS, summarySignal, type ShadowSignals, type ShadowSummary, type SummarySignal } from '../attacks/shadow-statistics';
import { computeSignals } from '../attacks/signals';

export interface ShadowProbabilities {
  shadows: number;
  queries: number;
  numClasses: number;
  /** audit records x shadows, 1 = IN. */
  keep: Uint8Array;
  /** Per shadow: audit records x queries x classes. */
  auditProbabilities: Float32Array[];
  /** Per shadow: population records x classes (identity query). */
  populationProbabilities?: Float32Array[];
}

/**
 * The lean form of ShadowProbabilities (trainShadowSummaries): per shadow only what the
 * attacks read (ShadowSummary), giving the same statistics bit for bit.
 */
export interface ShadowSummaries {
  shadows: number;
  queries: number;
  numClasses: number;
  keep: Uint8Array;
  summaries: ShadowSummary[];
}

export type ShadowEvidence = ShadowProbabilities | ShadowSummaries;

function isSummaries(e: ShadowEvidence): e is ShadowSummaries {
  return 'summaries' in e;
}

function summarySignalName(signal: SignalName): SummarySignal {
  if (!(SUMMARY_SIGNALS as readonly string[]).includes(signal)) {
    throw new Error(`shadow summaries hold the true-class probability and the other classes' mass only; signal "${signal}" needs every class (train with trainShadowModels instead)`);
  }
  return signal as SummarySignal;
}

/** The target's probabilities on the audit records for every query: records x queries x classes. */
export interface TargetQueryProbabilities {
  records: number;
  queries: number;
  probabilities: Float32Array;
}

/** One signal per (record, query), from probabilities laid out records x queries x classes. */
function signalPerQuery(probabilities: Float32Array, records: number, queries: number, numClasses: number, labels: Int32Array, signal: SignalName): Float64Array {
  // Repeat each label once per query so the flat rows line up with records x queries.
  const rowLabels = new Int32Array(records * queries);
  for (let r = 0; r < records; r++) rowLabels.fill(labels[r], r * queries, (r + 1) * queries);
  return computeSignals(probabilities, numClasses, rowLabels)[signal];
}

export function shadowSignals(
  shadowOutputs: ShadowEvidence,
  target: TargetQueryProbabilities,
  labels: Int32Array,
  signal: SignalName,
): ShadowSignals {
  const { shadows, queries, numClasses, keep } = shadowOutputs;
  const records = target.records;
  if (target.queries !== queries) throw new Error(`target has ${target.queries} queries per record, shadows ${queries}`);
  const targetSignal = signalPerQuery(target.probabilities, records, queries, numClasses, labels, signal);
  const shadow = new Float64Array(records * shadows * queries);
  if (isSummaries(shadowOutputs)) {
    const name = summarySignalName(signal);
    shadowOutputs.summaries.forEach(({ trueClass, otherMass }, s) => {
      for (let r = 0; r < records; r++) {
        for (let q = 0; q < queries; q++) shadow[(r * shadows + s) * queries + q] = summarySignal(trueClass[r * queries + q], otherMass[r * queries + q], name);
      }
    });
    return { records, shadows, queries, target: targetSignal, shadow, keep };
  }
  shadowOutputs.auditProbabilities.forEach((probs, s) => {
    const values = signalPerQuery(probs, records, queries, numClasses, labels, signal);
    for (let r = 0; r < records; r++) {
      for (let q = 0; q < queries; q++) shadow[(r * shadows + s) * queries + q] = values[r * queries + q];
    }
  });
  return { records, shadows, queries, target: targetSignal, shadow, keep };
}

/** Probability of the true class, identity query only, as RMIA defines Pr(x|theta). */
function trueClassProbability(probabilities: Float32Array, rows: number, stride: number, numClasses: number, labels: Int32Array): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = probabilities[r * stride * numClasses + labels[r]];
  return out;
}

export function rmiaInput(
  shadowOutputs: ShadowEvidence,
  target: TargetQueryProbabilities,
  labels: Int32Array,
  population: { probabilities: Float32Array; labels: Int32Array },
): RmiaInput {
  const { shadows, queries, numClasses, keep } = shadowOutputs;
  const summaries = isSummaries(shadowOutputs) ? shadowOutputs.summaries : undefined;
  if (summaries ? summaries.some((x) => x.populationTrueClass === undefined) : !(shadowOutputs as ShadowProbabilities).populationProbabilities) {
    throw new Error('RMIA needs the shadow models\' outputs on population records');
  }
  const records = target.records;
  const populationCount = population.labels.length;
  const referenceProb = new Float64Array(records * shadows);
  const populationReferenceProb = new Float64Array(populationCount * shadows);
  for (let s = 0; s < shadows; s++) {
    if (summaries) {
      // The identity query's stored value, widened to float64 as trueClassProbability does.
      const { trueClass, populationTrueClass } = summaries[s];
      for (let r = 0; r < records; r++) referenceProb[r * shadows + s] = trueClass[r * queries];
      for (let z = 0; z < populationCount; z++) populationReferenceProb[z * shadows + s] = populationTrueClass![z];
      continue;
    }
    const full = shadowOutputs as ShadowProbabilities;
    const audit = trueClassProbability(full.auditProbabilities[s], records, queries, numClasses, labels);
    for (let r = 0; r < records; r++) referenceProb[r * shadows + s] = audit[r];
    const pop = trueClassProbability(full.populationProbabilities![s], populationCount, 1, numClasses, population.labels);
    for (let z = 0; z < populationCount; z++) populationReferenceProb[z * shadows + s] = pop[z];
  }
  return {
    targetProb: trueClassProbability(target.probabilities, records, queries, numClasses, labels),
    referenceProb,
    populationTargetProb: trueClassProbability(population.probabilities, populationCount, 1, numClasses, population.labels),
    populationReferenceProb,
    references: shadows,
    keep,
  };
}
