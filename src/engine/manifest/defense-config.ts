/**
 * A validated defense configuration from the manifest -> DefenseSpec: defaults filled from
 * the catalog, retraining settings from the audit's shadow settings, and a readable id
 * ("dp-sgd noiseMultiplier=1.1 clipNorm=1 delta=0.00001") for reports.
 */
import { DEFAULT_ATTACKS, needsShadowModels } from '../attacks/catalog';
import type { DefenseSpec, JsonPath, ShadowSpec } from './types';
import { defenseDefaults, defenseInfo, RETRAIN_PARAMETERS } from './defense-catalog';

export interface RawDefenseConfig {
  name: string;
  [param: string]: unknown;
}

/** `raw` must have passed schema validation (known name, numbers in range). */
export function buildDefenseSpec(raw: RawDefenseConfig, shadow: ShadowSpec, path: JsonPath): DefenseSpec {
  const info = defenseInfo(raw.name);
  if (!info) throw new Error(`unknown defense "${raw.name}" passed validation`);
  const given: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw)) if (key !== 'name' && typeof value === 'number') given[key] = value;
  const retrainKeys = new Set(RETRAIN_PARAMETERS.map((p) => p.name));
  const params: Record<string, number> = { ...defenseDefaults(info) };
  for (const [key, value] of Object.entries(given)) if (!retrainKeys.has(key)) params[key] = value;
  const spec: DefenseSpec = { name: info.name, kind: info.kind, params, config: { name: info.name, ...params }, path };
  if (info.kind === 'training') {
    spec.train = {
      epochs: given['epochs'] ?? shadow.epochs,
      batchSize: given['batchSize'] ?? shadow.batchSize,
      learningRate: given['learningRate'] ?? shadow.learningRate,
      optimizer: shadow.optimizer,
      seed: shadow.seed,
    };
    // Only the overrides the user wrote: the pasted configuration stays as short as the original.
    for (const key of retrainKeys) if (given[key] !== undefined) spec.config[key] = given[key];
  }
  return spec;
}

/** Readable and unique enough for a table row: the name and every parameter as written. */
export function defenseId(spec: Pick<DefenseSpec, 'config'>): string {
  const parts = Object.entries(spec.config)
    .filter(([key]) => key !== 'name')
    .map(([key, value]) => `${key}=${String(value)}`);
  return [String(spec.config['name']), ...parts].join(' ');
}

/** Attacks run against the defenses when the manifest lists none: the audit's attacks without shadow models. */
export function defaultDefenseAttacks(auditAttacks: readonly string[]): string[] {
  const own = auditAttacks.filter((id) => !needsShadowModels(id));
  // An audit of shadow attacks only still gets the engine's default (threshold) attacks.
  return own.length > 0 ? own : [...DEFAULT_ATTACKS];
}
