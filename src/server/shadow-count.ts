/**
 * Which audits the modelPrivacy.shadowModels setting applies to: those whose manifest
 * lists no attacks (so the engine picks the default, strong attack list) and sets no
 * `shadow.count`. A count written in the manifest is the manifest author's decision and
 * wins over a per-user setting; an explicit attack list keeps the engine's own default
 * (16), so the CLI and VS Code compute the same result from the same manifest when the
 * setting is left at its default.
 */
import { parseJsonWithOffsets } from '../engine/manifest/syntax';
import type { AuditSpec } from '../engine/manifest';

/** Same range as the manifest schema's shadow.count. */
export const MIN_SHADOW_MODELS = 2;
export const MAX_SHADOW_MODELS = 1024;
/** Equal to the engine's DEFAULT_REFERENCE_SHADOW_COUNT (a unit test compares them). */
export const DEFAULT_SHADOW_MODELS = 8;

export function isShadowModelCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_SHADOW_MODELS && value <= MAX_SHADOW_MODELS;
}

/**
 * The shadow count to pass to the engine for `spec`, or undefined when the setting does
 * not apply (the manifest lists attacks or sets shadow.count) or there is no setting.
 * `manifestText` is the text the spec was parsed from (a proposal's text included).
 */
export function shadowCountFor(spec: AuditSpec, manifestText: string, setting: number | undefined): number | undefined {
  if (setting === undefined || !spec.attacksDefaulted) return undefined;
  return manifestSetsShadowCount(manifestText, spec.index) ? undefined : setting;
}

function manifestSetsShadowCount(manifestText: string, index: number): boolean {
  const raw = parseJsonWithOffsets(manifestText).value as { audits?: { shadow?: { count?: unknown } }[] } | undefined;
  return raw?.audits?.[index]?.shadow?.count !== undefined;
}
