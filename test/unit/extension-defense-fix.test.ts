/**
 * The "Use <defense> for this model" quick fix, without VS Code: the finding's config
 * travels through the diagnostic (server) and back (extension), and the edit it computes
 * leaves a manifest that parses, keeps every comment, follows the file's indentation and
 * sets "defense" on the right audit only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, parse, type ParseError } from 'jsonc-parser';
import { addDefenseEdit, auditIndexOf, detectFormatting, parseDefenseConfig } from '../../src/extension/actions/add-defense-edit';
import { findingRef } from '../../src/extension/findings/finding-ref';
import { findingDiagnostic } from '../../src/server/diagnostics';
import type { Finding } from '../../src/engine/report/schema';

const DP_SGD = '{"name":"dp-sgd","noiseMultiplier":1.1,"clipNorm":1,"delta":0.00001}';

/** Two audits, comments everywhere, 4-space indentation; the second audit compares defenses. */
const MANIFEST = `{
    // The team's audits.
    "version": 1,
    "audits": [
        {
            "name": "tabular", // first
            "model": "a/model.json",
            "members": "a/m.npz",
            "nonMembers": "a/n.npz"
        },
        {
            /* the image model */
            "name": "images",
            "model": "b/model.json",
            "members": "b/m.npz",
            "nonMembers": "b/n.npz",
            "defenses": {
                "evaluate": [
                    { "name": "top-k", "k": 1 }, // cheap
                    { "name": "dp-sgd", "noiseMultiplier": 1.1, "clipNorm": 1, "delta": 0.00001 }
                ]
            },
            "attacks": ["loss-threshold"] // keep short
        }
    ]
}
`;

function parseStrict(text: string): { value: { audits: Record<string, unknown>[] }; errors: ParseError[] } {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: false, disallowComments: false }) as { audits: Record<string, unknown>[] };
  return { value, errors };
}

function comments(text: string): string[] {
  return text.match(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g) ?? [];
}

test('adds "defense" to the named audit: the result parses, keeps every comment and the other audit untouched', () => {
  const fix = addDefenseEdit(MANIFEST, { audit: 'images', config: DP_SGD });
  assert.ok(fix, 'a fix for a valid config and an existing audit');
  assert.equal(fix.defense, 'dp-sgd', 'the title names the defense');
  assert.equal(fix.auditIndex, 1, 'the audit named "images" is the second');
  assert.equal(fix.replaces, false, 'the audit had no "defense"');
  const after = applyEdits(MANIFEST, fix.edits);
  const { value, errors } = parseStrict(after);
  assert.deepEqual(errors, [], 'the edited manifest parses without errors');
  assert.deepEqual(value.audits[1]!.defense, { name: 'dp-sgd', noiseMultiplier: 1.1, clipNorm: 1, delta: 0.00001 }, 'defense is the recommended config');
  assert.equal(value.audits[0]!.defense, undefined, 'the other audit gets nothing');
  assert.deepEqual(comments(after), comments(MANIFEST), 'every comment survives, in order');
  const before = parseStrict(MANIFEST).value;
  assert.deepEqual({ ...value.audits[1], defense: undefined }, { ...before.audits[1], defense: undefined }, 'no other key of the audit changes');
  // Placed right after "defenses", indented like its siblings (12 spaces inside an audit).
  assert.match(after, /\n {12}\},\n {12}"defense": \{\n {16}"name": "dp-sgd",/, `new key after "defenses", 4-space steps:\n${after}`);
  assert.ok(after.indexOf('"defense":') < after.indexOf('"attacks"'), 'inserted before the keys that follow "defenses"');
});

test('replaces an existing "defense" instead of adding a second one', () => {
  const withDefense = MANIFEST.replace('"name": "images",', '"name": "images",\n            "defense": { "name": "top-k", "k": 3 }, // served like this today');
  const fix = addDefenseEdit(withDefense, { audit: 'images', config: DP_SGD });
  assert.ok(fix, 'a different defense is replaced');
  assert.equal(fix.replaces, true, 'the action says it replaces');
  const after = applyEdits(withDefense, fix.edits);
  const { value, errors } = parseStrict(after);
  assert.deepEqual(errors, [], 'the edited manifest parses');
  assert.equal((after.match(/"defense":/g) ?? []).length, 1, 'exactly one "defense" key');
  assert.equal((value.audits[1]!.defense as { name: string }).name, 'dp-sgd', 'the new defense replaced the old');
  assert.ok(after.includes('// served like this today'), 'the comment after the replaced value stays');
});

test('nothing to offer when the audit already uses exactly this defense, or the config is unusable', () => {
  const applied = applyEdits(MANIFEST, addDefenseEdit(MANIFEST, { audit: 'images', config: DP_SGD })!.edits);
  assert.equal(addDefenseEdit(applied, { audit: 'images', config: DP_SGD }), undefined, 'same config again: no action');
  assert.equal(addDefenseEdit(applied, { audit: 'images', config: '{"delta":0.00001,"clipNorm":1,"noiseMultiplier":1.1,"name":"dp-sgd"}' }), undefined, 'key order does not matter');
  for (const config of ['{not json', '[]', '"dp-sgd"', '{"noiseMultiplier":1}', '{"name":""}', 'null']) {
    assert.equal(parseDefenseConfig(config), undefined, `config ${config} is rejected`);
    assert.equal(addDefenseEdit(MANIFEST, { audit: 'images', config }), undefined, `no edit for config ${config}`);
  }
  assert.equal(addDefenseEdit(MANIFEST, { audit: 'nowhere', config: DP_SGD }), undefined, 'unknown audit and no offset: no edit');
  assert.equal(addDefenseEdit('{ "audits": 3 }', { audit: 'images', config: DP_SGD }), undefined, 'no audits array: no edit');
});

test('finds the audit from the diagnostic offset when the name does not match (renamed since the audit)', () => {
  const offset = MANIFEST.indexOf('{ "name": "dp-sgd"') + 3;
  assert.equal(auditIndexOf(undefined, 'images', offset), undefined, 'no tree, no audit');
  const fix = addDefenseEdit(MANIFEST, { audit: 'renamed', config: DP_SGD, offset });
  assert.ok(fix, 'the offset inside audits[1].defenses.evaluate[1] names the audit');
  assert.equal(fix.auditIndex, 1, 'second audit');
  const tabularOffset = MANIFEST.indexOf('"a/m.npz"');
  assert.equal(addDefenseEdit(MANIFEST, { config: DP_SGD, offset: tabularOffset })!.auditIndex, 0, 'an offset inside the first audit');
  assert.equal(addDefenseEdit(MANIFEST, { config: DP_SGD, offset: MANIFEST.indexOf('"version"') }), undefined, 'an offset outside any audit');
});

test('follows the file: tabs and CRLF line breaks', () => {
  const tabbed = '{\r\n\t"audits": [\r\n\t\t{ "name": "x", "model": "m.json" }\r\n\t]\r\n}\r\n';
  assert.deepEqual(detectFormatting(tabbed), { insertSpaces: false, tabSize: 4, eol: '\r\n' }, 'tabs and CRLF detected');
  assert.deepEqual(detectFormatting('{\n  "a": {\n    "b": 1\n  }\n}\n'), { insertSpaces: true, tabSize: 2, eol: '\n' }, 'two spaces: the smallest indentation');
  const after = applyEdits(tabbed, addDefenseEdit(tabbed, { audit: 'x', config: '{"name":"top-k","k":1}' })!.edits);
  assert.deepEqual(parseStrict(after).errors, [], 'parses');
  assert.ok(!/[^\r]\n/.test(after), `only CRLF line breaks:\n${JSON.stringify(after)}`);
  assert.match(after, /\r\n\t\t\t"defense": \{\r\n\t\t\t\t"name": "top-k",\r\n/, 'tab-indented new lines');
});

test('the recommended config travels from the finding through the diagnostic to the quick fix', () => {
  const finding: Finding = {
    rule: 'defense-recommendation',
    severity: 'info',
    message: 'dp-sgd meets the policy at 4.1% accuracy cost.',
    audit: 'images',
    location: { file: 'privacy-audit.json' },
    related: [],
    data: { config: DP_SGD, accuracyCost: 0.041, worstTpr: 0.0012 },
  };
  const diagnostic = findingDiagnostic(finding, '/ws', false);
  assert.deepEqual(diagnostic.data, { rule: 'defense-recommendation', audit: 'images', config: DP_SGD }, 'config carried in Diagnostic.data');
  const ref = findingRef({ source: diagnostic.source, code: diagnostic.code, data: diagnostic.data });
  assert.deepEqual(ref, { rule: 'defense-recommendation', audit: 'images', config: DP_SGD }, 'read back by the extension');
  const other = findingDiagnostic({ ...finding, rule: 'membership-risk', data: { config: 'x' } }, '/ws', false);
  assert.equal((other.data as { config?: string }).config, undefined, 'only recommendations carry a config');
  const fix = addDefenseEdit(MANIFEST, { audit: ref.audit, config: ref.config! });
  assert.equal(fix?.auditIndex, 1, 'the fix targets the finding\'s audit');
});
