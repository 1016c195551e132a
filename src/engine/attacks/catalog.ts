/**
 * Every attack a manifest may name. Ids are stable: they appear in manifests, reports,
 * SARIF and settings. Threshold-family ids are `<signal>-<variant>`.
 */
export const SIGNALS = ['loss', 'confidence', 'entropy', 'modified-entropy', 'lira-statistic'] as const;
export type SignalName = (typeof SIGNALS)[number];

export const THRESHOLD_VARIANTS = ['threshold', 'threshold-per-class', 'population'] as const;
export type ThresholdVariant = (typeof THRESHOLD_VARIANTS)[number];

export const THRESHOLD_ATTACK_IDS: readonly string[] = SIGNALS.flatMap((s) =>
  THRESHOLD_VARIANTS.map((v) => `${s}-${v}`),
);

/**
 * Attacks that need shadow (reference) models trained on population data: LiRA
 * (Carlini et al.), RMIA (Zarifzadeh et al.), difficulty calibration (Watson et al.)
 * and the attack-classifier attack of Shokri et al.
 */
export const SHADOW_ATTACK_IDS = [
  'lira-online',
  'lira-offline',
  'lira-online-fixed',
  'lira-offline-fixed',
  'rmia',
  'difficulty-calibration',
  'shokri',
] as const;

/** Attacks that query the target beyond its plain outputs: label-only (Choquette-Choo et al.) and white-box (Nasr et al.). */
export const MODEL_QUERY_ATTACK_IDS = ['label-only-augmentation', 'label-only-boundary', 'white-box-gradient-norm'] as const;

export function needsShadowModels(id: string): boolean {
  return (SHADOW_ATTACK_IDS as readonly string[]).includes(id);
}

/**
 * Attacks run when a manifest or setting does not list any and there is no reference
 * data: threshold attacks only, which answer in seconds but are near chance at low FPR.
 */
export const DEFAULT_ATTACKS: readonly string[] = [
  'loss-threshold',
  'confidence-threshold',
  'entropy-threshold',
  'modified-entropy-threshold',
  'lira-statistic-threshold',
  'loss-threshold-per-class',
  'loss-population',
];

/**
 * Added to the defaults when the audit has population (reference) data: the attacks the
 * literature found strongest at low FPR. They share one set of shadow models, so each
 * extra attack costs seconds, not training. Fixed variance because a default audit trains
 * few shadows (LiRA's per-record variance wants 64 or more, Carlini et al.).
 */
export const DEFAULT_REFERENCE_ATTACKS: readonly string[] = ['rmia', 'lira-offline-fixed', 'lira-online-fixed', 'lira-offline'];

/** The default attack list for an audit with or without population data. */
export function defaultAttacks(hasPopulation: boolean): string[] {
  // The population-calibrated threshold needs population records; without them it is left out, not failed.
  return hasPopulation
    ? [...DEFAULT_ATTACKS, ...DEFAULT_REFERENCE_ATTACKS]
    : DEFAULT_ATTACKS.filter((id) => parseThresholdAttack(id)?.variant !== 'population');
}

/** Attacks that answer in seconds from the target's outputs alone: the first, preliminary verdict. */
export function isFastAttack(id: string): boolean {
  return parseThresholdAttack(id) !== undefined;
}

const ALL_ATTACK_IDS: readonly string[] = [...THRESHOLD_ATTACK_IDS, ...SHADOW_ATTACK_IDS, ...MODEL_QUERY_ATTACK_IDS];

export function isKnownAttack(id: string): boolean {
  return ALL_ATTACK_IDS.includes(id);
}

export function knownAttacks(): readonly string[] {
  return ALL_ATTACK_IDS;
}

/** Parses a threshold-family id into its signal and variant, or undefined. */
export function parseThresholdAttack(id: string): { signal: SignalName; variant: ThresholdVariant } | undefined {
  for (const variant of THRESHOLD_VARIANTS) {
    const suffix = `-${variant}`;
    if (!id.endsWith(suffix)) continue;
    const signal = id.slice(0, -suffix.length);
    if ((SIGNALS as readonly string[]).includes(signal)) return { signal: signal as SignalName, variant };
  }
  return undefined;
}
