import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import schemaJson from '../../schemas/privacy-audit.schema.json';
import { DEFENSE_CATALOG, knownDefenses } from '../../src/engine/manifest/defense-catalog';
import { defenseId } from '../../src/engine/manifest/defense-config';
import { DEFAULT_SHADOW, parseManifest, type ManifestProblem } from '../../src/engine/manifest';
import type { TextRange } from '../../src/engine/report/schema';

const FAKE_DIR = path.resolve('/audits/project');
const FAKE_FILE = path.join(FAKE_DIR, 'privacy-audit.json');
const FAKE_FILES = new Set(['model/model.json', 'data/train.csv', 'data/test.csv', 'data/pop.csv'].map((f) => path.join(FAKE_DIR, f)));
const parse = (text: string) => parseManifest(text, FAKE_FILE, { fileExists: (p) => FAKE_FILES.has(p) });
const slice = (text: string, range: TextRange) => text.slice(range.offset, range.offset + range.length);

function manifestWith(extra: string, population = false): string {
  return `{
  "version": 1,
  "audits": [
    {
      "name": "a",
      "model": "model/model.json",
      "members": "data/train.csv",
      "nonMembers": "data/test.csv",${population ? '\n      "population": "data/pop.csv",' : ''}
      ${extra}
    }
  ]
}`;
}

function theProblem(problems: ManifestProblem[], pattern: RegExp): ManifestProblem {
  const found = problems.filter((p) => pattern.test(p.message));
  assert.equal(found.length, 1, `expected one problem matching ${pattern}, got:\n${problems.map((p) => p.message).join('\n')}`);
  return found[0]!;
}

describe('defense catalog and schema', () => {
  const schema = schemaJson as unknown as Record<string, any>;
  const defs = schema['definitions'];

  test("the defense-name enum lists exactly the catalog's defenses", () => {
    assert.deepEqual(defs.defenseConfig.properties.name.enum, knownDefenses(), 'schema enum vs catalog');
  });

  test('every catalog defense has a sub-schema with the same parameters, defaults and ranges', () => {
    for (const d of DEFENSE_CATALOG) {
      const sub = defs[`defense-${d.name}`];
      assert.ok(sub, `schema lacks definitions.defense-${d.name}`);
      assert.equal(sub.additionalProperties, false, `${d.name}: unknown parameters must be errors`);
      assert.deepEqual(Object.keys(sub.properties).sort(), ['name', ...d.params.map((p) => p.name)].sort(), `${d.name}: parameter names`);
      for (const p of d.params) {
        const s = sub.properties[p.name];
        for (const key of ['type', 'default', 'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum'] as const) {
          assert.equal(s[key], p[key], `${d.name}.${p.name}.${key}`);
        }
      }
      const branch = defs.defenseConfig.allOf.find((b: any) => b.if.properties.name.const === d.name);
      assert.equal(branch?.then.$ref, `#/definitions/defense-${d.name}`, `${d.name}: the name selects its sub-schema`);
    }
  });
});

describe('manifest "defenses" and "defense"', () => {
  test('builds specs with defaults, retraining settings from shadow, and default attacks without shadow models', () => {
    const text = manifestWith(`"attacks": ["loss-threshold", "lira-online", "label-only-augmentation"],
      "shadow": { "epochs": 7 },
      "defenses": { "evaluate": [ { "name": "dp-sgd", "noiseMultiplier": 2, "batchSize": 32 }, { "name": "top-k" } ] },
      "defense": { "name": "labels-only" }`);
    const { manifest, problems } = parse(text);
    assert.deepEqual(problems, [], 'no problems');
    const audit = manifest!.audits[0]!;
    assert.deepEqual(audit.defenses!.attacks, ['loss-threshold', 'label-only-augmentation'], 'shadow attacks left out by default');
    const [dp, topk] = audit.defenses!.evaluate;
    assert.deepEqual(dp!.params, { noiseMultiplier: 2, clipNorm: 1, delta: 0.00001 }, 'dp-sgd params with defaults');
    assert.deepEqual(dp!.train, { epochs: 7, batchSize: 32, learningRate: DEFAULT_SHADOW.learningRate, optimizer: DEFAULT_SHADOW.optimizer, seed: DEFAULT_SHADOW.seed }, 'retraining settings');
    assert.deepEqual(dp!.config, { name: 'dp-sgd', noiseMultiplier: 2, clipNorm: 1, delta: 0.00001, batchSize: 32 }, 'config keeps the written override');
    assert.deepEqual(dp!.path, ['audits', 0, 'defenses', 'evaluate', 0], 'path for ranges');
    assert.equal(defenseId(dp!), 'dp-sgd noiseMultiplier=2 clipNorm=1 delta=0.00001 batchSize=32', 'readable id');
    assert.equal(topk!.kind, 'inference', 'top-k is inference-time');
    assert.deepEqual(topk!.config, { name: 'top-k', k: 1 }, 'top-k default k');
    assert.equal(topk!.train, undefined, 'no retraining for inference-time defenses');
    assert.equal(audit.defense!.name, 'labels-only', 'applied defense');
  });

  const impossible: [string, string, RegExp][] = [
    ['{ "name": "dp-sgd", "clipNorm": 0 }', '0', /0 < clipNorm/],
    ['{ "name": "dp-sgd", "delta": 1 }', '1', /0 < delta < 1/],
    ['{ "name": "dp-sgd", "delta": 0 }', '0', /0 < delta < 1/],
    ['{ "name": "dp-sgd", "noiseMultiplier": -0.5 }', '-0.5', /0 < noiseMultiplier/],
    ['{ "name": "top-k", "k": 0 }', '0', /1 <= k/],
  ];
  for (const [config, value, pattern] of impossible) {
    test(`impossible setting ${config} is an error on the value`, () => {
      const text = manifestWith(`"defenses": { "evaluate": [ ${config} ] }`);
      const { manifest, problems } = parse(text);
      assert.equal(manifest, undefined, 'no manifest with an error');
      const p = theProblem(problems, pattern);
      assert.equal(slice(text, p.range), value, 'range of the bad value');
      assert.match(p.message, /defenses\.evaluate\[0\]/, 'message names the key');
    });
  }

  test('unknown defense name: error on the name with a suggestion', () => {
    const text = manifestWith('"defense": { "name": "dp_sgd" }');
    const p = theProblem(parse(text).problems, /expected one of/);
    assert.equal(slice(text, p.range), '"dp_sgd"', 'range of the name');
    assert.match(p.message, /did you mean "dp-sgd"/i, 'suggestion');
  });

  test('a parameter of another defense is an unknown property', () => {
    const text = manifestWith('"defenses": { "evaluate": [ { "name": "top-k", "sigma": 1 } ] }');
    const p = theProblem(parse(text).problems, /unknown property "sigma"/);
    assert.equal(slice(text, p.range), '"sigma"', 'range of the key');
    assert.match(p.message, /Expected one of: name, k/, 'lists the defense\'s own parameters');
  });

  test('a defense needing reference data without population is an error on its name', () => {
    const text = manifestWith('"defenses": { "evaluate": [ { "name": "neuguard" } ] }');
    const p = theProblem(parse(text).problems, /needs defender-side reference records/);
    assert.equal(slice(text, p.range), '"neuguard"', 'range of the name');
    assert.equal(parse(manifestWith('"defenses": { "evaluate": [ { "name": "neuguard" } ] }', true)).problems.length, 0, 'fine with population');
  });

  test('shadow attacks against training-time defenses are allowed (defended shadows), except against kl-pruning', () => {
    const retrained = manifestWith('"defenses": { "attacks": ["loss-threshold", "lira-offline"], "evaluate": [ { "name": "top-k" }, { "name": "l2" }, { "name": "dp-sgd" } ] }', true);
    assert.deepEqual(parse(retrained).problems.map((p) => p.message), [], 'shadows are retrained with l2 and dp-sgd: no problem');
    const inferenceOnly = manifestWith('"defenses": { "attacks": ["lira-offline"], "evaluate": [ { "name": "top-k" } ] }', true);
    assert.deepEqual(parse(inferenceOnly).problems, [], 'adaptive shadow attack against inference-time defenses is fine');
    const text = manifestWith('"defenses": { "attacks": ["loss-threshold", "lira-offline"], "evaluate": [ { "name": "l2" }, { "name": "kl-pruning" } ] }', true);
    const p = theProblem(parse(text).problems, /needs shadow models/);
    assert.equal(p.severity, 'error', 'an error');
    assert.equal(slice(text, p.range), '"lira-offline"', 'range of the attack');
    assert.match(p.message, /evaluate\[1\] \("kl-pruning"\)/, 'names the defense shadows cannot reproduce');
    assert.match(p.message, /target's own trained weights/, 'with the reason');
  });

  test('shadow attacks in the audit with a training-time "defense" are allowed, except with kl-pruning', () => {
    assert.deepEqual(parse(manifestWith('"attacks": ["rmia"], "defense": { "name": "dp-sgd" }', true)).problems.map((p) => p.message), [], 'dp-sgd: shadows retrained with it');
    const text = manifestWith('"attacks": ["loss-threshold", "rmia"], "defense": { "name": "kl-pruning" }', true);
    const p = theProblem(parse(text).problems, /needs shadow models/);
    assert.equal(slice(text, p.range), '"rmia"', 'range of the attack');
    assert.match(p.message, /"defense" \("kl-pruning"\) cannot be reproduced on shadows/, 'names the defense');
  });

  test('unknown attack in defenses.attacks: one error with a suggestion, not a schema duplicate', () => {
    const text = manifestWith('"defenses": { "attacks": ["loss-treshold"], "evaluate": [ { "name": "top-k" } ] }');
    const p = theProblem(parse(text).problems, /loss-treshold/);
    assert.match(p.message, /did you mean "loss-threshold"/i, 'suggestion');
  });
});
