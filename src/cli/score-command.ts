/**
 * `privacy-lint score FILE --attack NAME`: per-record scores of the reference-model attacks
 * (LiRA, difficulty calibration, RMIA) from statistics the user computed with their own
 * shadow models, plus the same metrics object as `privacy-lint evaluate` when the file
 * carries ground-truth membership. Input fields are described in score-input.ts and in
 * the command's --help.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { escapeJsonText, guardWorkflowCommands, sanitizeStrings } from '../engine/report/escape';
import { isLiraVariant, isOnlineLira, liraScores, LIRA_VARIANTS } from '../engine/attacks/lira';
import { difficultyCalibratedScores, DIFFICULTY_CALIBRATION_ID } from '../engine/attacks/reference-calibration';
import { RMIA_DEFAULT_GAMMA, RMIA_DEFAULT_OFFLINE_A, rmiaScores } from '../engine/attacks/rmia';
import { SIGMA_EPSILON } from '../engine/attacks/shadow-statistics';
import { InputError } from '../engine/errors';
import { computeAttackMetrics, type AttackMetrics } from '../engine/metrics';
import { metricsToText } from './format-metrics';
import { readRmiaInput, readShadowSignalsInput } from './score-input';

export const SCORE_ATTACKS = [...LIRA_VARIANTS, DIFFICULTY_CALIBRATION_ID, 'rmia', 'rmia-online'] as const;
export type ScoreAttack = (typeof SCORE_ATTACKS)[number];

export interface RmiaParameters {
  offlineA: number;
  gamma: number;
}

export interface ScoreOutput {
  attack: ScoreAttack;
  /** RMIA only: the parameters the scores depend on. */
  parameters?: Partial<RmiaParameters>;
  /** One per record, in input order; higher = more likely a member. */
  scores: number[];
  metrics?: AttackMetrics;
  warnings?: string[];
}

const INPUT_HELP = `
Input (JSON; other keys are ignored):
  lira-*, ${DIFFICULTY_CALIBRATION_ID}
    target      phi per record [r], or per record and query [r][q]
    shadow      the shadow models' phi [r][s], or [r][s][q]
    keep        [r][s] true when shadow s trained on record r
                (required for LiRA; optional for ${DIFFICULTY_CALIBRATION_ID}:
                without it every shadow is a reference model for every record)
  rmia, rmia-online (probabilities of the true label)
    targetProb, referenceProb [r][m], populationTargetProb, populationReferenceProb [z][m]
    keep        optional [r][m]; rmia (offline) leaves IN models out of Pr(x)
  membership    optional [r] true/false: adds "metrics" (as privacy-lint evaluate prints)
Online LiRA needs an IN and an OUT shadow per record; offline LiRA needs only OUT shadows.`;

export function registerScoreCommand(program: Command): void {
  program
    .command('score')
    .description('per-record membership scores of LiRA, RMIA or difficulty calibration from shadow/reference-model statistics, with metrics when membership is given')
    .argument('<file>', 'JSON input; fields depend on --attack (see below)')
    .addOption(new Option('--attack <name>', 'attack to score with').choices(SCORE_ATTACKS).makeOptionMandatory())
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'text']).default('json'))
    .option('--offline-a <a>', 'RMIA offline mixing parameter a in Pr(x) = ((1+a) Pr_out(x) + 1 - a) / 2', parseOfflineA, RMIA_DEFAULT_OFFLINE_A)
    .option('--gamma <g>', 'RMIA likelihood-ratio threshold gamma', parseGamma, RMIA_DEFAULT_GAMMA)
    .addHelpText('after', INPUT_HELP)
    .action((file: string, opts: { attack: ScoreAttack; format: 'json' | 'text'; offlineA: number; gamma: number }) => {
      const output = scoreFile(file, opts.attack, { offlineA: opts.offlineA, gamma: opts.gamma });
      process.stdout.write(opts.format === 'json' ? `${escapeJsonText(JSON.stringify(output, null, 2))}\n` : guardWorkflowCommands(scoreOutputToText(sanitizeStrings(output))));
    });
}

/** Reads, checks and scores one input file. Throws InputError for anything wrong with it. */
export function scoreFile(file: string, attack: ScoreAttack, rmia: RmiaParameters): ScoreOutput {
  if (!(SCORE_ATTACKS as readonly string[]).includes(attack)) {
    throw new InputError(`unknown attack "${attack}": expected one of ${SCORE_ATTACKS.join(', ')}`, { file, field: '--attack' });
  }
  const warnings: string[] = [];
  let scores: Float64Array;
  let membership: boolean[] | undefined;
  let scoredField: string;
  if (attack === 'rmia' || attack === 'rmia-online') {
    const online = attack === 'rmia-online';
    const parsed = readRmiaInput(file, { attack, needOut: !online });
    scores = rmiaScores(parsed.input, { mode: online ? 'online' : 'offline', ...rmia });
    membership = parsed.membership;
    scoredField = 'targetProb';
  } else {
    const lira = isLiraVariant(attack) ? attack : undefined;
    const parsed = readShadowSignalsInput(file, {
      attack,
      keep: lira ? 'required' : 'optional',
      needIn: lira !== undefined && isOnlineLira(lira),
      needOut: true,
    });
    membership = parsed.membership;
    scoredField = 'target';
    const keep = parsed.signals.keep;
    if (lira) {
      if (!keep) throw new Error('score: readShadowSignalsInput returned no keep although LiRA requires it');
      const result = liraScores(lira, { ...parsed.signals, keep });
      scores = result.scores;
      if (result.zeroSpreadRecords.length) warnings.push(zeroSpreadWarning(result.zeroSpreadRecords, parsed.signals.records));
    } else {
      scores = difficultyCalibratedScores(parsed.signals);
    }
  }
  scores.forEach((s, r) => {
    if (!Number.isFinite(s)) {
      throw new InputError(
        `the ${attack} score of this record is ${s}: its statistics lie too far from the shadow statistics (relative to their spread), or are too large, for float64`,
        { file, field: `${scoredField}[${r}]`, record: r },
      );
    }
  });
  const output: ScoreOutput = { attack, scores: Array.from(scores) };
  // Online RMIA has no offline approximation, so a does not enter its scores.
  if (attack === 'rmia') output.parameters = { offlineA: rmia.offlineA, gamma: rmia.gamma };
  if (attack === 'rmia-online') output.parameters = { gamma: rmia.gamma };
  if (membership) output.metrics = computeAttackMetrics(scores, membership);
  if (warnings.length) output.warnings = warnings;
  return output;
}

function zeroSpreadWarning(records: number[], total: number): string {
  const shown = records.slice(0, 10).join(', ') + (records.length > 10 ? ', ...' : '');
  return (
    `${records.length} of ${total} records have shadow statistics with zero spread (a single IN or OUT shadow, or identical values): ` +
    `sigma = 0 + ${SIGMA_EPSILON} makes their scores extreme. Records ${shown}`
  );
}

function scoreOutputToText(output: ScoreOutput): string {
  const sorted = [...output.scores].sort((a, b) => a - b);
  const lines = [
    `attack       ${output.attack}`,
    `scores       ${sorted.length} records, min ${fmt(sorted[0])}, median ${fmt(sorted[sorted.length >> 1])}, max ${fmt(sorted[sorted.length - 1])}   (--format json lists them)`,
  ];
  if (output.parameters) lines.push(`parameters   ${Object.entries(output.parameters).map(([k, v]) => `${k} = ${v}`).join(', ')}`);
  for (const w of output.warnings ?? []) lines.push(`warning      ${w}`);
  let text = lines.join('\n') + '\n';
  if (output.metrics) text += '\n' + metricsToText(output.metrics);
  return text;
}

function fmt(x: number): string {
  return Math.abs(x) >= 1e6 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4);
}

function parseOfflineA(value: string): number {
  const a = Number(value);
  if (value.trim() === '' || !(a >= 0 && a <= 1)) throw new InvalidArgumentError('expected a number in [0, 1].');
  return a;
}

function parseGamma(value: string): number {
  const g = Number(value);
  if (value.trim() === '' || !(g > 0 && Number.isFinite(g))) throw new InvalidArgumentError('expected a positive number.');
  return g;
}
