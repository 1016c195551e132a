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

/** Attacks run when a manifest or setting does not list any. */
export const DEFAULT_ATTACKS: readonly string[] = [
  'loss-threshold',
  'confidence-threshold',
  'entropy-threshold',
  'modified-entropy-threshold',
  'lira-statistic-threshold',
  'loss-threshold-per-class',
  'loss-population',
];

export function isKnownAttack(id: string): boolean {
  return THRESHOLD_ATTACK_IDS.includes(id);
}

export function knownAttacks(): readonly string[] {
  return THRESHOLD_ATTACK_IDS;
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
