/**
 * package.json's extension contributions agree with the code: every command registered
 * is contributed (and the reverse), settings defaults match the code's defaults, the
 * sweep attack enum is the engine's catalog, and activation is never "*".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { knownAttacks } from '../../src/engine/attacks/catalog';
import { COMMANDS, TREE_VIEW_ID, VIEW_CONTAINER_ID } from '../../src/extension/command-ids';
import { DEFAULT_EXCLUDE, DEFAULTS, SECTION, SETTINGS } from '../../src/extension/engine-settings';
import { DEFAULT_REFERENCE_SHADOW_COUNT } from '../../src/engine/manifest/defaults';

interface Contributes {
  commands: { command: string; title: string; category: string }[];
  configuration: { properties: Record<string, { default: unknown; scope?: string; items?: { enum?: string[] } }> };
  menus: Record<string, { command: string; when?: string }[]>;
  views: Record<string, { id: string }[]>;
  viewsContainers: { activitybar: { id: string; icon: string }[] };
  jsonValidation: { fileMatch: string; url: string }[];
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  main: string;
  activationEvents: string[];
  contributes: Contributes;
  capabilities: { untrustedWorkspaces: { supported: unknown; restrictedConfigurations: string[] } };
  icon: string;
};
const contributes = pkg.contributes;

test('main is the extension bundle', () => {
  assert.equal(pkg.main, './dist/extension.js');
});

test('contributed commands are exactly the registered ones, all in the "Model Privacy" category', () => {
  assert.deepEqual(contributes.commands.map((c) => c.command).sort(), Object.values(COMMANDS).sort());
  for (const c of contributes.commands) assert.equal(c.category, 'Model Privacy', c.command);
});

test('menus only name contributed commands', () => {
  const known = new Set(contributes.commands.map((c) => c.command));
  for (const [menu, entries] of Object.entries(contributes.menus)) {
    for (const entry of entries) assert.ok(known.has(entry.command), `${menu}: ${entry.command}`);
  }
});

test('activation is lazy: workspace contents, the view, the report panel and the commands; never "*"', () => {
  assert.ok(!pkg.activationEvents.includes('*'));
  assert.ok(!pkg.activationEvents.includes('onStartupFinished'));
  for (const event of ['workspaceContains:**/privacy-audit.json', 'workspaceContains:**/model.json', `onView:${TREE_VIEW_ID}`, 'onWebviewPanel:modelPrivacy.report']) {
    assert.ok(pkg.activationEvents.includes(event), event);
  }
  for (const command of Object.values(COMMANDS)) assert.ok(pkg.activationEvents.includes(`onCommand:${command}`), command);
});

test('the view lives in its own activity bar container', () => {
  assert.deepEqual(contributes.viewsContainers.activitybar.map((c) => c.id), [VIEW_CONTAINER_ID]);
  assert.deepEqual(contributes.views[VIEW_CONTAINER_ID]!.map((v) => v.id), [TREE_VIEW_ID]);
});

test('settings: every key the code reads is contributed, with the code\'s default and the right scope', () => {
  const props = contributes.configuration.properties;
  const key = (k: string) => `${SECTION}.${k}`;
  assert.deepEqual(Object.keys(props).sort(), Object.values(SETTINGS).map(key).sort());
  assert.equal(props[key(SETTINGS.backend)]!.default, DEFAULTS.backend);
  assert.equal(props[key(SETTINGS.workers)]!.default, DEFAULTS.workers);
  assert.equal(props[key(SETTINGS.maxTprAtFpr)]!.default, DEFAULTS.maxTprAtFpr);
  assert.equal(props[key(SETTINGS.fpr)]!.default, DEFAULTS.fpr);
  assert.equal(props[key(SETTINGS.maxAuc)]!.default, DEFAULTS.maxAuc);
  assert.deepEqual(props[key(SETTINGS.exclude)]!.default, DEFAULT_EXCLUDE);
  assert.equal(props[key(SETTINGS.backend)]!.scope, 'machine-overridable');
  assert.equal(props[key(SETTINGS.workers)]!.scope, 'machine-overridable');
  for (const k of [SETTINGS.maxTprAtFpr, SETTINGS.fpr, SETTINGS.maxAuc, SETTINGS.shadowModels]) assert.equal(props[key(k)]!.scope, 'resource');
  // The reference-model count: the engine's default, and the manifest schema's shadow.count range.
  const shadowModels = props[key(SETTINGS.shadowModels)] as { default: unknown; type: unknown; minimum: unknown; maximum: unknown };
  assert.equal(shadowModels.default, DEFAULTS.shadowModels);
  assert.equal(DEFAULTS.shadowModels, DEFAULT_REFERENCE_SHADOW_COUNT);
  const count = findCountSchema(JSON.parse(readFileSync('schemas/privacy-audit.schema.json', 'utf8')));
  assert.deepEqual([shadowModels.type, shadowModels.minimum, shadowModels.maximum], [count.type, count.minimum, count.maximum]);
});

test('the sweep attack setting offers exactly the engine\'s attack catalog', () => {
  assert.deepEqual(contributes.configuration.properties['modelPrivacy.sweep.attacks']!.items?.enum, [...knownAttacks()]);
});

test('Workspace Trust: limited support, engine settings restricted', () => {
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.sort(), ['modelPrivacy.engine.backend', 'modelPrivacy.engine.workers']);
});

test('the manifest schema is contributed and the icons exist', () => {
  assert.deepEqual(contributes.jsonValidation, [{ fileMatch: 'privacy-audit.json', url: './schemas/privacy-audit.schema.json' }]);
  JSON.parse(readFileSync('schemas/privacy-audit.schema.json', 'utf8'));
  assert.deepEqual([...readFileSync(pkg.icon).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.match(readFileSync(contributes.viewsContainers.activitybar[0]!.icon, 'utf8'), /^<svg /);
});

/** The schema of an audit's shadow.count, wherever the schema keeps it. */
function findCountSchema(node: unknown): { type: string; minimum: number; maximum: number } {
  if (typeof node !== 'object' || node === null) throw new Error('no shadow.count in the manifest schema');
  const record = node as Record<string, unknown>;
  const shadow = (record.properties as Record<string, { properties?: Record<string, unknown> }> | undefined)?.shadow;
  if (shadow?.properties?.count) return shadow.properties.count as { type: string; minimum: number; maximum: number };
  for (const value of Object.values(record)) {
    try {
      return findCountSchema(value);
    } catch {
      // Not in this branch.
    }
  }
  throw new Error('no shadow.count in the manifest schema');
}
