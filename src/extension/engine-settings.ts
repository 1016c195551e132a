/**
 * The extension's settings -> the engine's EngineSettings. Pure (no `vscode`): the caller
 * passes a getter, so the mapping and its defaults are unit-tested. Defaults here equal
 * the `default` values contributed in package.json (a unit test compares them).
 */
import type { EngineSettings } from '../shared/protocol';

export const SECTION = 'modelPrivacy';

/** Setting keys below the `modelPrivacy` section. */
export const SETTINGS = {
  backend: 'engine.backend',
  workers: 'engine.workers',
  queueUrl: 'queue.url',
  maxTprAtFpr: 'policy.maxTprAtFpr',
  fpr: 'policy.fpr',
  maxAuc: 'policy.maxAuc',
  sweepAttacks: 'sweep.attacks',
  shadowModels: 'shadowModels',
  exclude: 'exclude',
  allowOutsideWorkspace: 'allowOutsideWorkspace',
} as const;

export const DEFAULT_EXCLUDE: readonly string[] = ['**/node_modules/**', '**/.git/**', '**/.privacy-lint-cache/**', '**/privacy-report/**'];

export const DEFAULTS = {
  backend: 'auto',
  workers: 0,
  queueUrl: '',
  maxTprAtFpr: 0.01,
  fpr: 0.001,
  maxAuc: 0.6,
  shadowModels: 8,
} as const;

/** modelPrivacy.shadowModels' range, as the manifest's shadow.count. */
const SHADOW_MODELS_RANGE = { min: 2, max: 1024 } as const;

const BACKENDS: readonly EngineSettings['backend'][] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Sections the engine reads once, at start: a change offers a restart. */
export const RESTART_SECTIONS: readonly string[] = [`${SECTION}.engine`];

/** Sections the running engine takes over at once (DidChangeEngineSettingsNotification). */
export const LIVE_SECTIONS: readonly string[] = [`${SECTION}.policy`, `${SECTION}.sweep`, `${SECTION}.${SETTINGS.exclude}`, `${SECTION}.queue`, `${SECTION}.${SETTINGS.shadowModels}`, `${SECTION}.${SETTINGS.allowOutsideWorkspace}`];

/** What a configuration change means for a running engine; `affects` is the event's affectsConfiguration. */
export function settingsChangeEffect(affects: (section: string) => boolean): { send: boolean; restart: boolean } {
  return { send: LIVE_SECTIONS.some(affects), restart: RESTART_SECTIONS.some(affects) };
}

/** `get(key)` returns the value of `modelPrivacy.<key>` (undefined when unset). */
export function readEngineSettings(get: (key: string) => unknown): EngineSettings {
  const backend = get(SETTINGS.backend);
  return {
    backend: BACKENDS.includes(backend as EngineSettings['backend']) ? (backend as EngineSettings['backend']) : DEFAULTS.backend,
    workers: nonNegativeInteger(get(SETTINGS.workers), DEFAULTS.workers),
    queueUrl: queueUrl(get(SETTINGS.queueUrl)),
    sweepAttacks: stringArray(get(SETTINGS.sweepAttacks)) ?? [],
    shadowModels: integerIn(get(SETTINGS.shadowModels), SHADOW_MODELS_RANGE, DEFAULTS.shadowModels),
    defaultPolicy: {
      maxTprAtFpr: fraction(get(SETTINGS.maxTprAtFpr), DEFAULTS.maxTprAtFpr),
      fpr: fraction(get(SETTINGS.fpr), DEFAULTS.fpr),
      maxAuc: fraction(get(SETTINGS.maxAuc), DEFAULTS.maxAuc),
    },
    exclude: readExclude(get),
    // Only an explicit true: the setting is machine-scoped, so a workspace cannot turn it on.
    ...(get(SETTINGS.allowOutsideWorkspace) === true ? { allowOutsideWorkspace: true } : {}),
  };
}

export function readExclude(get: (key: string) => unknown): string[] {
  return stringArray(get(SETTINGS.exclude)) ?? [...DEFAULT_EXCLUDE];
}

/** Only the shape is checked here (the extension never loads the engine); the server parses it fully. */
function queueUrl(value: unknown): string {
  return typeof value === 'string' && /^rediss?:\/\/\S+$/.test(value.trim()) ? value.trim() : DEFAULTS.queueUrl;
}

function nonNegativeInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback;
}

function integerIn(value: unknown, range: { min: number; max: number }, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= range.min && value <= range.max ? value : fallback;
}

/** Policy numbers are rates in [0, 1]; anything else would silently disable the policy. */
function fraction(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : fallback;
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...value] : undefined;
}
