/**
 * Runs one attack by id on an audit's shared context and returns its scores with a
 * description. Every attack family lives in src/engine/attacks; this file only wires
 * each to the data it needs.
 */
import { parseThresholdAttack } from '../attacks/catalog';
import { labelOnlyAugmentationAttack, labelOnlyBoundaryAttack } from '../attacks/label-only';
import { isLiraVariant, liraScores } from '../attacks/lira';
import { difficultyCalibratedScores } from '../attacks/reference-calibration';
import { rmiaScores, RMIA_DEFAULT_GAMMA, RMIA_DEFAULT_OFFLINE_A } from '../attacks/rmia';
import { shokriAttack } from '../attacks/shokri';
import { SIGNAL_TITLES } from '../attacks/signals';
import { runThresholdAttack, type AttackScores, type ScoredGroup } from '../attacks/threshold';
import { whiteBoxGradientAttack } from '../attacks/white-box';
import type { AttackDescription } from './attack-result';
import type { AttackContext } from './attack-context';
import { rmiaInput, shadowSignals } from './shadow-attack-inputs';
import type { ShadowOutputs } from '../shadow';

export interface AttackRun {
  description: AttackDescription;
  scores: AttackScores;
}

const THRESHOLD_TITLES: Record<string, string> = {
  threshold: 'global threshold on',
  'threshold-per-class': 'per-class thresholds on',
  population: 'population-calibrated threshold on',
};

const LIRA_TITLES: Record<string, string> = {
  'lira-online': 'LiRA online, per-record variance (Carlini et al.)',
  'lira-offline': 'LiRA offline, per-record variance (Carlini et al.)',
  'lira-online-fixed': 'LiRA online, fixed variance (Carlini et al.)',
  'lira-offline-fixed': 'LiRA offline, fixed variance (Carlini et al.)',
};

export async function runAttack(id: string, ctx: AttackContext): Promise<AttackRun> {
  const threshold = parseThresholdAttack(id);
  if (threshold) {
    const { outputs, signals } = ctx;
    const group = (labels: Int32Array, scores: Float64Array): ScoredGroup => ({ scores, labels });
    const scores = runThresholdAttack(threshold.variant, {
      members: group(outputs.members.dataset.labels, signals.members[threshold.signal]),
      nonMembers: group(outputs.nonMembers.dataset.labels, signals.nonMembers[threshold.signal]),
      population: outputs.population && signals.population ? group(outputs.population.dataset.labels, signals.population[threshold.signal]) : undefined,
      numClasses: ctx.numClasses,
    });
    return {
      description: { id, family: threshold.variant === 'population' ? 'population' : 'threshold', title: `${THRESHOLD_TITLES[threshold.variant]} ${SIGNAL_TITLES[threshold.signal]}` },
      scores,
    };
  }
  const split = (all: Float64Array, notes: string[] = []): AttackScores => {
    const m = ctx.outputs.members.dataset.count;
    return { memberScores: all.subarray(0, m), nonMemberScores: all.subarray(m), notes };
  };
  if (isLiraVariant(id)) {
    const [shadows, target] = await Promise.all([ctx.shadows(), ctx.targetQueries()]);
    const input = shadowSignals(shadows, target, ctx.auditRecords.labels, 'lira-statistic');
    const result = liraScores(id, { ...input, keep: shadows.keep });
    const notes = [`${shadows.shadows} shadow models (${shadows.fromCache} from cache), ${shadows.queries} quer${shadows.queries === 1 ? 'y' : 'ies'} per record.`];
    if (result.zeroSpreadRecords.length) notes.push(`${result.zeroSpreadRecords.length} records had zero spread across shadows; their scores are extreme by construction.`);
    return { description: { id, family: 'lira', title: LIRA_TITLES[id], ...fallback(shadows) }, scores: split(result.scores, notes) };
  }
  switch (id) {
    case 'difficulty-calibration': {
      const [shadows, target] = await Promise.all([ctx.shadows(), ctx.targetQueries()]);
      const input = shadowSignals(shadows, target, ctx.auditRecords.labels, 'loss');
      return {
        description: { id, family: 'reference', title: 'loss calibrated by record difficulty on reference models (Watson et al.)', ...fallback(shadows) },
        scores: split(difficultyCalibratedScores(input), [`Reference models: per record, the shadow models that did not train on it (${outCountText(shadows.keep, shadows.shadows)} of ${shadows.shadows}).`]),
      };
    }
    case 'rmia': {
      const population = ctx.outputs.population;
      if (!population) throw new Error('RMIA compares each record with population records; add "population" to the audit');
      const [shadows, target] = await Promise.all([ctx.shadows(), ctx.targetQueries()]);
      const input = rmiaInput(shadows, target, ctx.auditRecords.labels, { probabilities: population.probabilities, labels: population.dataset.labels });
      const scores = rmiaScores(input, { mode: 'offline', offlineA: RMIA_DEFAULT_OFFLINE_A, gamma: RMIA_DEFAULT_GAMMA });
      return {
        description: { id, family: 'reference', title: 'RMIA, likelihood ratio against population records (Zarifzadeh et al.)', ...fallback(shadows) },
        scores: split(scores, [`Offline RMIA with a = ${RMIA_DEFAULT_OFFLINE_A}, gamma = ${RMIA_DEFAULT_GAMMA}, ${population.dataset.count} population records.`]),
      };
    }
    case 'shokri': {
      const shadows = await ctx.shadows();
      const records = ctx.auditRecords.count;
      // Shadow outputs of the identity query: the attack classifier learns IN/OUT from them.
      const identity = shadows.auditProbabilities.map((p) => {
        const out = new Float32Array(records * ctx.numClasses);
        for (let r = 0; r < records; r++) out.set(p.subarray(r * shadows.queries * ctx.numClasses, (r * shadows.queries + 1) * ctx.numClasses), r * ctx.numClasses);
        return out;
      });
      const scores = shokriAttack({
        shadowProbabilities: identity,
        shadowLabels: ctx.auditRecords.labels,
        shadowKeep: shadows.keep,
        targetMembers: { probabilities: ctx.outputs.members.probabilities, labels: ctx.outputs.members.dataset.labels },
        targetNonMembers: { probabilities: ctx.outputs.nonMembers.probabilities, labels: ctx.outputs.nonMembers.dataset.labels },
        numClasses: ctx.numClasses,
      });
      return {
        description: { id, family: 'shadow-classifier', title: 'attack classifiers trained on shadow-model outputs (Shokri et al.)', ...fallback(shadows) },
        scores,
      };
    }
    case 'label-only-augmentation':
    case 'label-only-boundary': {
      const input = { model: ctx.outputs.model, members: ctx.outputs.members.dataset, nonMembers: ctx.outputs.nonMembers.dataset, signal: ctx.hooks.signal };
      const scores = id === 'label-only-augmentation' ? await labelOnlyAugmentationAttack(input) : await labelOnlyBoundaryAttack(input);
      const title = id === 'label-only-augmentation'
        ? 'label-only: predicted label kept under augmentations (Choquette-Choo et al.)'
        : 'label-only: distance to the decision boundary (Choquette-Choo et al.)';
      return { description: { id, family: 'label-only', title }, scores };
    }
    case 'white-box-gradient-norm': {
      const model = await ctx.whiteBox();
      const scores = await whiteBoxGradientAttack({ model, members: ctx.outputs.members.dataset, nonMembers: ctx.outputs.nonMembers.dataset, signal: ctx.hooks.signal });
      return {
        description: { id, family: 'white-box', title: 'white-box: per-record loss-gradient norm (Nasr et al.)' },
        scores: { memberScores: scores.memberScores, nonMemberScores: scores.nonMemberScores, notes: scores.notes },
      };
    }
  }
  throw new Error(`attack "${id}" is not implemented by this engine`);
}

/** When the shadows use a default architecture, why: said once per audit by a fallback-architecture finding, not in every attack's notes. */
function fallback(shadows: ShadowOutputs): { architectureFallback?: string } {
  return shadows.architectureNote !== undefined ? { architectureFallback: shadows.architectureNote } : {};
}

/** How many shadows left each record out: one number when every record has the same count (the keep matrix's rule), else a range. */
function outCountText(keep: Uint8Array, shadows: number): string {
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r * shadows < keep.length; r++) {
    let out = 0;
    for (let s = 0; s < shadows; s++) if (keep[r * shadows + s] === 0) out++;
    min = Math.min(min, out);
    max = Math.max(max, out);
  }
  return min === max ? `${min}` : `${min}-${max}`;
}
