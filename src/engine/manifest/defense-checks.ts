/**
 * Checks of an audit's "defense" and "defenses" that the schema cannot express, run with
 * the other semantic checks so they show while the manifest is written, before any
 * training: attack ids known to the catalog, shadow-model attacks against a retrained defense
 * the shadows cannot reproduce (shadowless-defenses.ts), defenses that need reference data
 * without "population". Numeric ranges (clip norm, delta, noise, k) are the schema's.
 */
import { isKnownAttack, knownAttacks, needsShadowModels } from '../attacks/catalog';
import { didYouMean } from './suggest';
import type { JsonPath, ManifestProblem } from './types';
import { defenseInfo } from './defense-catalog';
import { shadowRefusal } from './shadowless-defenses';

type Report = (severity: ManifestProblem['severity'], at: JsonPath, message: string, part?: 'key' | 'value') => void;
type Json = Record<string, unknown>;

export function checkAuditDefenses(report: Report, at: JsonPath, audit: Json): void {
  const hasPopulation = audit['population'] !== undefined;
  const defenses = isObject(audit['defenses']) ? audit['defenses'] : undefined;
  const evaluate = defenses && Array.isArray(defenses['evaluate']) ? (defenses['evaluate'] as unknown[]) : [];
  evaluate.forEach((config, j) => checkConfig(report, [...at, 'defenses', 'evaluate', j], config, hasPopulation));
  checkConfig(report, [...at, 'defense'], audit['defense'], hasPopulation);

  // Shadow attacks against other training-time defenses use shadows retrained with the defense.
  const shadowless = evaluate.map((c, j) => ({ j, name: isObject(c) && typeof c['name'] === 'string' ? c['name'] : '' }))
    .filter((d) => shadowRefusal(d.name) !== undefined);
  if (defenses && Array.isArray(defenses['attacks'])) {
    (defenses['attacks'] as unknown[]).forEach((id, i) => {
      if (typeof id !== 'string') return;
      const where = [...at, 'defenses', 'attacks', i];
      if (!isKnownAttack(id)) {
        report('error', where, `expected a known attack id, found "${id}".${didYouMean(id, knownAttacks())} Known attacks: ${knownAttacks().join(', ')}.`);
      } else if (needsShadowModels(id) && shadowless.length > 0) {
        const first = shadowless[0]!;
        report('error', where, `attack "${id}" needs shadow models trained like the target, but defenses.evaluate[${first.j}] ("${first.name}") cannot be reproduced on shadows: ${shadowRefusal(first.name)}; remove the attack or that defense.`);
      }
    });
  }

  const applied = isObject(audit['defense']) && typeof audit['defense']['name'] === 'string' ? audit['defense']['name'] : undefined;
  const refusal = applied !== undefined ? shadowRefusal(applied) : undefined;
  if (refusal !== undefined && Array.isArray(audit['attacks'])) {
    (audit['attacks'] as unknown[]).forEach((id, i) => {
      if (typeof id === 'string' && needsShadowModels(id)) {
        report('error', [...at, 'attacks', i], `attack "${id}" needs shadow models trained like the target, but "defense" ("${applied}") cannot be reproduced on shadows: ${refusal}; remove the attack or use another defense.`);
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
