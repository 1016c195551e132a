/**
 * initializationOptions as sent by the client, checked field by field: an older or
 * buggy client must get defaults and a log line, not a server that fails to start.
 */
import { parseQueueUrl } from '../engine/queue/queue-url';
import type { EngineSettings, InitializationOptions } from '../shared/protocol';
import { DEFAULT_SHADOW_MODELS, isShadowModelCount, MAX_SHADOW_MODELS, MIN_SHADOW_MODELS } from './shadow-count';

export const DEFAULT_SETTINGS: EngineSettings = {
  backend: 'auto',
  workers: 0,
  queueUrl: '',
  sweepAttacks: [],
  shadowModels: DEFAULT_SHADOW_MODELS,
  defaultPolicy: { maxTprAtFpr: 0.01, fpr: 0.001, maxAuc: 0.6 },
  exclude: [],
};

export interface ServerOptions {
  /** Undefined: no storage folder, results are kept in memory only. */
  storagePath?: string;
  settings: EngineSettings;
  trusted: boolean;
  docsBaseUri?: string;
}

const BACKENDS: readonly EngineSettings['backend'][] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Returns the usable options and a note per field that was missing or malformed. */
export function readInitOptions(raw: unknown): { options: ServerOptions; notes: string[] } {
  const notes: string[] = [];
  const o = isObject(raw) ? (raw as Partial<Record<keyof InitializationOptions, unknown>>) : {};
  if (!isObject(raw)) notes.push('no initializationOptions; using defaults');
  const options: ServerOptions = { settings: readSettings(o.settings, notes), trusted: o.trusted !== false };
  if (typeof o.storagePath === 'string' && o.storagePath !== '') options.storagePath = o.storagePath;
  else notes.push('no storagePath: audit results will not be kept across sessions');
  if (typeof o.docsBaseUri === 'string' && o.docsBaseUri !== '') options.docsBaseUri = o.docsBaseUri;
  // Only an explicit false restricts: the client is the one that knows about Workspace Trust.
  if (typeof o.trusted !== 'boolean') notes.push('initializationOptions.trusted is missing; assuming a trusted workspace');
  return { options, notes };
}

/** Also checks the settings of DidChangeEngineSettingsNotification, with the same defaults. */
export function readSettings(raw: unknown, notes: string[]): EngineSettings {
  const s = isObject(raw) ? raw : {};
  const settings: EngineSettings = { ...DEFAULT_SETTINGS, defaultPolicy: { ...DEFAULT_SETTINGS.defaultPolicy } };
  if (BACKENDS.includes(s.backend as EngineSettings['backend'])) settings.backend = s.backend as EngineSettings['backend'];
  else if (s.backend !== undefined) notes.push(`unknown backend ${JSON.stringify(s.backend)}; using "auto"`);
  if (typeof s.workers === 'number' && Number.isInteger(s.workers) && s.workers >= 0) settings.workers = s.workers;
  if (typeof s.queueUrl === 'string' && (s.queueUrl === '' || isQueueUrl(s.queueUrl))) settings.queueUrl = s.queueUrl;
  else if (s.queueUrl !== undefined) notes.push(`queue URL ${JSON.stringify(s.queueUrl)} is not a redis:// URL; training shadow models locally`);
  if (isStringArray(s.sweepAttacks)) settings.sweepAttacks = s.sweepAttacks;
  if (isShadowModelCount(s.shadowModels)) settings.shadowModels = s.shadowModels;
  else if (s.shadowModels !== undefined) notes.push(`shadowModels ${JSON.stringify(s.shadowModels)} is not a whole number from ${MIN_SHADOW_MODELS} to ${MAX_SHADOW_MODELS}; using ${DEFAULT_SHADOW_MODELS}`);
  if (isStringArray(s.exclude)) settings.exclude = s.exclude;
  if (s.allowOutsideWorkspace === true) settings.allowOutsideWorkspace = true;
  if (isObject(s.defaultPolicy)) {
    const p = s.defaultPolicy;
    for (const k of ['maxTprAtFpr', 'fpr', 'maxAuc'] as const) {
      if (typeof p[k] === 'number' && Number.isFinite(p[k])) settings.defaultPolicy[k] = p[k] as number;
    }
  }
  return settings;
}

function isQueueUrl(v: string): boolean {
  try {
    parseQueueUrl(v, 'queue URL');
    return true;
  } catch {
    return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}
