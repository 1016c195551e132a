/**
 * Checks of an audit's "defense" and "defenses" that the schema cannot express, run with
 * the other semantic checks so they show while the manifest is written, before any
 * training: attack ids known to the catalog, shadow-model attacks against retrained models,
 * defenses that need reference data without "population". Numeric ranges (clip norm,
 * delta, noise, k) are the schema's.
 */
import { isKnownAttack, knownAttacks, needsShadowModels } from '../attacks/catalog';
import { didYouMean } from '../manifest/suggest';
import type { JsonPath, ManifestProblem } from '../manifest/types';
import { defenseInfo } from './catalog';

type Report = (severity: ManifestProblem['severity'], at: JsonPath, message: string, part?: 'key' | 'value') => void;
type Json = Record<string, unknown>;

export function checkAuditDefenses(report: Report, at: JsonPath, audit: Json): void {
  const hasPopulation = audit['population'] !== undefined;
  const defenses = isObject(audit['defenses']) ? audit['defenses'] : undefined;
  const evaluate = defenses && Array.isArray(defenses['evaluate']) ? (defenses['evaluate'] as unknown[]) : [];
  evaluate.forEach((config, j) => checkConfig(report, [...at, 'defenses', 'evaluate', j], config, hasPopulation));
  checkConfig(report, [...at, 'defense'], audit['defense'], hasPopulation);

  const retrained = evaluate.map((c, j) => ({ j, info: isObject(c) && typeof c['name'] === 'string' ? defenseInfo(c['name']) : undefined }))
    .filter((d) => d.info?.kind === 'training');
  if (defenses && Array.isArray(defenses['attacks'])) {
    (defenses['attacks'] as unknown[]).forEach((id, i) => {
      if (typeof id !== 'string') return;
      const where = [...at, 'defenses', 'attacks', i];
      if (!isKnownAttack(id)) {
        report('error', where, `expected a known attack id, found "${id}".${didYouMean(id, knownAttacks())} Known attacks: ${knownAttacks().join(', ')}.`);
      } else if (needsShadowModels(id) && retrained.length > 0) {
        const first = retrained[0]!;
        report('error', where, `attack "${id}" needs shadow models trained like the target, but defenses.evaluate[${first.j}] ("${first.info!.name}") retrains the model with a defense the shadows do not reproduce; remove the attack or evaluate only inference-time defenses.`);
      }
    });
  }

  const applied = isObject(audit['defense']) && typeof audit['defense']['name'] === 'string' ? defenseInfo(audit['defense']['name']) : undefined;
  if (applied?.kind === 'training' && Array.isArray(audit['attacks'])) {
    (audit['attacks'] as unknown[]).forEach((id, i) => {
      if (typeof id === 'string' && needsShadowModels(id)) {
        report('error', [...at, 'attacks', i], `attack "${id}" needs shadow models trained like the target, but "defense" ("${applied.name}") retrains the model with a defense the shadows do not reproduce; remove the attack or use an inference-time defense.`);
      }
    });
  }
}

function checkConfig(report: Report, at: JsonPath, config: unknown, hasPopulation: boolean): void {
  if (!isObject(config) || typeof config['name'] !== 'string') return;
  const info = defenseInfo(config['name']);
  // An unknown name is the schema's error (with a suggestion).
  if (!info) return;
  if (info.needsReference && !hasPopulation) {
    report('error', [...at, 'name'], `defense "${info.name}" needs defender-side reference records, but this audit has no "population"; add "population" (records disjoint from members and non-members) or choose another defense.`);
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
