import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import schemaJson from '../../schemas/privacy-audit.schema.json';
import { DEFAULT_ATTACKS, DEFAULT_REFERENCE_ATTACKS, knownAttacks } from '../../src/engine/attacks/catalog';
import { SEVERITY_ORDER } from '../../src/shared/rules';
import type { TextRange } from '../../src/engine/report/schema';
import {
  DEFAULT_POLICY,
  DEFAULT_RULE_SEVERITY,
  DEFAULT_SHADOW,
  DEFAULT_REFERENCE_SHADOW_COUNT,
  findManifests,
  offsetToTextRange,
  parseManifest,
  proposeManifest,
  type ManifestProblem,
} from '../../src/engine/manifest';

const FIXTURE_DIR = path.resolve(__dirname, '../fixtures/manifests/valid');
const FIXTURE_FILE = path.join(FIXTURE_DIR, 'privacy-audit.json');
/** Where inline manifests pretend to live; files "exist" only when listed. */
const FAKE_DIR = path.resolve('/audits/project');
const FAKE_FILE = path.join(FAKE_DIR, 'privacy-audit.json');
const FAKE_FILES = new Set(['model/model.json', 'data/train.csv', 'data/test.csv', 'data/pop.csv'].map((f) => path.join(FAKE_DIR, f)));
const fakeExists = (p: string) => FAKE_FILES.has(p);

const slice = (text: string, range: TextRange) => text.slice(range.offset, range.offset + range.length);

function problemsOf(text: string): ManifestProblem[] {
  return parseManifest(text, FAKE_FILE, { fileExists: fakeExists }).problems;
}

/** The one problem whose message matches, failing with the full list otherwise. */
function theProblem(problems: ManifestProblem[], pattern: RegExp): ManifestProblem {
  const found = problems.filter((p) => pattern.test(p.message));
  assert.equal(found.length, 1, `expected one problem matching ${pattern}, got:\n${problems.map((p) => p.message).join('\n')}`);
  return found[0]!;
}

/** A valid audit as JSON text, with `extra` spliced in (already comma-terminated). */
function manifestWith(auditBody: string): string {
  return `{
  "version": 1,
  "audits": [
    {
      "name": "a",
      ${auditBody}
      "members": "data/train.csv",
      "nonMembers": "data/test.csv"
    }
  ]
}`;
}
const MODEL = '"model": "model/model.json",';

describe('valid manifest', () => {
  test('parses the fixture into absolute paths with defaults filled', () => {
    const text = readFileSync(FIXTURE_FILE, 'utf8');
    const { manifest, problems } = parseManifest(text, FIXTURE_FILE);
    assert.deepEqual(problems, []);
    assert.ok(manifest);
    assert.equal(manifest.file, FIXTURE_FILE);
    assert.equal(manifest.dir, FIXTURE_DIR);
    const [defaults, explicit] = manifest.audits;
    assert.deepEqual(defaults, {
      name: 'tiny-defaults',
      model: path.join(FIXTURE_DIR, 'model/model.json'),
      members: { path: path.join(FIXTURE_DIR, 'data/members.csv') },
      nonMembers: { path: path.join(FIXTURE_DIR, 'data/nonmembers.csv') },
      // No population: the threshold attacks without the population-calibrated one.
      attacks: DEFAULT_ATTACKS.filter((id) => id !== 'loss-population'),
      attacksDefaulted: true,
      policy: DEFAULT_POLICY.map((r) => ({ ...r })),
      shadow: { ...DEFAULT_SHADOW, count: DEFAULT_REFERENCE_SHADOW_COUNT, queries: ['identity'] },
      index: 0,
    });
    assert.deepEqual(explicit, {
      name: 'tiny-explicit',
      model: path.join(FIXTURE_DIR, 'model/model.json'),
      members: { path: path.join(FIXTURE_DIR, 'data/members.csv'), format: 'csv', label: 'label', scale: 0.5, offset: -0.25 },
      nonMembers: { path: path.join(FIXTURE_DIR, 'data/nonmembers.csv'), label: 'label', scale: 0.5, offset: -0.25 },
      // The dataset's own label wins over the audit's.
      population: { path: path.join(FIXTURE_DIR, 'data/population.jsonl'), label: 'y', scale: 0.5, offset: -0.25 },
      attacks: ['loss-threshold', 'confidence-population'],
      policy: [
        { metric: 'tprAtFpr', fpr: 0.01, max: 0.05, severity: 'medium' },
        { metric: 'advantage', max: 0.2, severity: DEFAULT_RULE_SEVERITY },
      ],
      privacy: { claimedEpsilon: 8, delta: 1e-5 },
      shadow: { ...DEFAULT_SHADOW, queries: ['identity'] },
      index: 1,
    });
  });

  test('a manifest with only warnings still yields the manifest', () => {
    const text = manifestWith(`${MODEL} "policy": { "rules": [ { "metric": "auc", "fpr": 0.1, "max": 0.6 } ] },`);
    const { manifest, problems } = parseManifest(text, FAKE_FILE, { fileExists: fakeExists });
    const p = theProblem(problems, /"fpr" is only used by "tprAtFpr" rules/);
    assert.equal(p.severity, 'warning');
    assert.equal(slice(text, p.range), '"fpr"');
    assert.deepEqual(manifest?.audits[0]?.policy, [{ metric: 'auc', max: 0.6, severity: 'high' }]);
  });

  test('a byte-order mark is accepted and offsets still index the given text', () => {
    const text = `\uFEFF${manifestWith('"model": "model/missing.json",')}`;
    const p = theProblem(problemsOf(text), /existing model file/);
    assert.equal(slice(text, p.range), '"model/missing.json"');
  });
});

describe('schema file', () => {
  const schema = schemaJson as unknown as Record<string, any>;
  const audit = schema['definitions']['audit'];

  test("the attacks enum lists exactly the catalog's attacks (update the schema when the catalog grows)", () => {
    assert.deepEqual(audit.properties.attacks.items.enum, [...knownAttacks()]);
  });

  test('the documented defaults are the ones applied', () => {
    // The default attack list depends on the data (population or not), so the schema states it in words.
    assert.equal(audit.properties.attacks.default, undefined);
    const defaultsSentence = String(audit.properties.attacks.markdownDescription).split('Omit to run the defaults')[1] ?? '';
    for (const id of DEFAULT_REFERENCE_ATTACKS) assert.ok(defaultsSentence.includes(`\`${id}\``), `${id} is named among the defaults`);
    assert.ok(defaultsSentence.includes(`${DEFAULT_REFERENCE_SHADOW_COUNT} reference models`), "the default shadow count is stated");
    assert.deepEqual(audit.properties.policy.default.rules, DEFAULT_POLICY);
    assert.equal(schema['definitions']['policyRule'].properties.severity.default, DEFAULT_RULE_SEVERITY);
  });

  test('the shadow defaults in the schema are the ones applied', () => {
    const props = audit.properties.shadow.properties;
    for (const [key, value] of Object.entries(DEFAULT_SHADOW)) {
      assert.deepEqual(props[key].default, value, `schema default of shadow.${key}`);
    }
  });

  test('the severity enum is the Severity type', () => {
    assert.deepEqual([...schema['definitions']['policyRule'].properties.severity.enum].sort(), Object.keys(SEVERITY_ORDER).sort());
  });

  test('every property has a description and a markdownDescription', () => {
    const missing: string[] = [];
    const visit = (node: any, where: string): void => {
      if (!node || typeof node !== 'object') return;
      for (const [name, prop] of Object.entries<any>(node.properties ?? {})) {
        if (typeof prop.description !== 'string' || typeof prop.markdownDescription !== 'string') missing.push(`${where}.${name}`);
        visit(prop, `${where}.${name}`);
      }
      visit(node.items, `${where}[]`);
    };
    visit(schema, '#');
    for (const [name, def] of Object.entries<any>(schema['definitions'])) visit(def, `#/definitions/${name}`);
    assert.deepEqual(missing, []);
  });
});

describe('schema problems', () => {
  test('unknown property: range of its key, with a suggestion; the missing property: the audit\'s "{"', () => {
    const text = manifestWith('"modle": "model/model.json",');
    const problems = problemsOf(text);
    const unknown = theProblem(problems, /unknown property "modle"/);
    assert.equal(slice(text, unknown.range), '"modle"');
    assert.match(unknown.message, /Did you mean "model"\?/);
    assert.deepEqual(unknown.path, ['audits', 0, 'modle']);
    const missing = theProblem(problems, /missing required property "model"/);
    assert.equal(slice(text, missing.range), '{');
    assert.equal(missing.range.start.line, 3);
    assert.deepEqual(missing.path, ['audits', 0, 'model']);
    assert.ok(problems.every((p) => p.severity === 'error'));
  });

  test("missing property of a keyed object: range of the object's key", () => {
    const text = manifestWith(`${MODEL} "population": { "format": "csv" },`);
    const p = theProblem(problemsOf(text), /missing required property "path"/);
    assert.equal(slice(text, p.range), '"population"');
    assert.deepEqual(p.path, ['audits', 0, 'population', 'path']);
  });

  test('missing property of the root: its "{"', () => {
    const text = '{ "version": 1 }';
    const p = theProblem(problemsOf(text), /missing required property "audits"/);
    assert.equal(p.range.offset, 0);
    assert.equal(slice(text, p.range), '{');
  });

  test('wrong type: range of the value, saying what was expected and found', () => {
    const text = manifestWith(`${MODEL} "population": 3,`);
    const p = theProblem(problemsOf(text), /population/);
    assert.equal(slice(text, p.range), '3');
    assert.match(p.message, /expected a file path \(string\) or an object with "path", found the number 3/);
  });

  test('wrong version: range of the value', () => {
    const text = manifestWith(MODEL).replace('"version": 1', '"version": 2');
    const p = theProblem(problemsOf(text), /version/);
    assert.equal(slice(text, p.range), '2');
    assert.match(p.message, /expected 1 .*found the number 2/);
  });

  test('wrong enum value: range of the value, with a suggestion', () => {
    const text = manifestWith(`${MODEL} "policy": { "rules": [ { "metric": "auc", "max": 0.6, "severity": "hgh" } ] },`);
    const p = theProblem(problemsOf(text), /severity/);
    assert.equal(slice(text, p.range), '"hgh"');
    assert.match(p.message, /expected one of "high", "medium", "low", "info", found the string "hgh"\. Did you mean "high"\?/);
  });

  test('tprAtFpr rule without fpr: the rule\'s "{"', () => {
    const text = manifestWith(`${MODEL} "policy": { "rules": [ { "metric": "tprAtFpr", "max": 0.01 } ] },`);
    const problems = problemsOf(text);
    const p = theProblem(problems, /needs "fpr"/);
    assert.equal(slice(text, p.range), '{');
    assert.equal(problems.length, 1);
  });

  const numberCases: [string, string, string, RegExp][] = [
    ['fpr above 1', '{ "metric": "tprAtFpr", "fpr": 1.5, "max": 0.01 }', '1.5', /0 < fpr < 1, found the number 1\.5/],
    ['fpr of 0', '{ "metric": "tprAtFpr", "fpr": 0, "max": 0.01 }', '0', /0 < fpr < 1, found the number 0/],
    ['max above 1', '{ "metric": "auc", "max": 1.2 }', '1.2', /0 <= max <= 1, found the number 1\.2/],
    ['negative max', '{ "metric": "auc", "max": -0.1 }', '-0.1', /0 <= max <= 1, found the number -0\.1/],
  ];
  for (const [name, rule, value, message] of numberCases) {
    test(`${name}: range of the value`, () => {
      const text = manifestWith(`${MODEL} "policy": { "rules": [ ${rule} ] },`);
      const problems = problemsOf(text);
      const p = theProblem(problems, message);
      assert.equal(slice(text, p.range), value);
      assert.equal(problems.length, 1);
    });
  }

  test('privacy claim out of range: delta and epsilon values', () => {
    const text = manifestWith(`${MODEL} "privacy": { "claimedEpsilon": -1, "delta": 1 },`);
    const problems = problemsOf(text);
    assert.equal(slice(text, theProblem(problems, /claimedEpsilon > 0, found the number -1/).range), '-1');
    assert.equal(slice(text, theProblem(problems, /0 < delta < 1, found the number 1\b/).range), '1');
    assert.equal(problems.length, 2);
  });

  test('empty attack list: range of the list', () => {
    const text = manifestWith(`${MODEL} "attacks": [],`);
    const p = theProblem(problemsOf(text), /at least one attack/);
    assert.equal(slice(text, p.range), '[]');
  });

  test('problems come sorted by position', () => {
    const text = manifestWith('"modle": 1, "attacks": ["nope"],').replace('"version": 1', '"version": 0');
    const offsets = problemsOf(text).map((p) => p.range.offset);
    assert.ok(offsets.length >= 4);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  });
});

describe('semantic problems', () => {
  test('unknown attack: range of the id, suggestion from the catalog, no duplicate from the schema enum', () => {
    const text = manifestWith(`${MODEL} "attacks": ["loss-threshold", "entropy-treshold"],`);
    const problems = problemsOf(text);
    assert.equal(problems.length, 1);
    const p = theProblem(problems, /known attack/);
    assert.equal(slice(text, p.range), '"entropy-treshold"');
    assert.match(p.message, /found "entropy-treshold"\. Did you mean "entropy-threshold"\?/);
    assert.deepEqual(p.path, ['audits', 0, 'attacks', 1]);
  });

  test('duplicate attack and population attack without population data are warnings', () => {
    const text = manifestWith(`${MODEL} "attacks": ["loss-threshold", "loss-threshold", "loss-population"],`);
    const { problems, manifest } = parseManifest(text, FAKE_FILE, { fileExists: fakeExists });
    const twice = theProblem(problems, /listed twice/);
    assert.equal(twice.range.offset, text.lastIndexOf('"loss-threshold"'));
    const population = theProblem(problems, /needs|calibrates its threshold on "population"/);
    assert.equal(slice(text, population.range), '"loss-population"');
    assert.ok(problems.every((p) => p.severity === 'warning'));
    assert.ok(manifest);
  });

  test('duplicate audit name: range of the second name', () => {
    const text = `{ "version": 1, "audits": [
  { "name": "same", "model": "model/model.json", "members": "data/train.csv", "nonMembers": "data/test.csv" },
  { "name": "same", "model": "model/model.json", "members": "data/train.csv", "nonMembers": "data/test.csv" }
] }`;
    const p = theProblem(problemsOf(text), /unique audit name/);
    assert.equal(p.range.offset, text.lastIndexOf('"same"'));
    assert.equal(p.range.start.line, 2);
    assert.match(p.message, /found "same" again \(audit 0 already uses it\)/);
  });

  test('missing model and dataset files: range of each path value', () => {
    const text = `{ "version": 1, "audits": [ { "name": "a", "model": "model/gone.json",
  "members": { "path": "data/nope.csv", "labelsPath": "data/nolabels.npy" }, "nonMembers": "data/test.csv" } ] }`;
    const problems = problemsOf(text);
    assert.equal(slice(text, theProblem(problems, /existing model file, found no file at "model\/gone\.json"/).range), '"model/gone.json"');
    assert.equal(slice(text, theProblem(problems, /existing dataset file, found no file at "data\/nope\.csv"/).range), '"data/nope.csv"');
    assert.equal(slice(text, theProblem(problems, /existing labels file/).range), '"data/nolabels.npy"');
    assert.equal(problems.length, 3);
  });

  test('fileExists defaults to the real file system', () => {
    const text = readFileSync(FIXTURE_FILE, 'utf8').replace('"members": "data/members.csv"', '"members": "data/absent.csv"');
    const p = theProblem(parseManifest(text, FIXTURE_FILE).problems, /absent\.csv/);
    assert.ok(p.message.includes(`resolved to ${path.join(FIXTURE_DIR, 'data', 'absent.csv')}`), p.message);
  });

  test('a property written twice: range of the second key', () => {
    const text = manifestWith('"model": "model/model.json", "model": "model/model.json",');
    const p = theProblem(problemsOf(text), /written twice/);
    assert.equal(p.range.offset, text.lastIndexOf('"model"'));
    assert.equal(slice(text, p.range), '"model"');
  });

  test('NPZ member keys on a CSV dataset are a warning on the key', () => {
    const text = manifestWith(`${MODEL} "population": { "path": "data/pop.csv", "featuresKey": "x" },`);
    const p = theProblem(problemsOf(text), /"featuresKey" only applies to NPZ archives, but "data\/pop\.csv" is csv/);
    assert.equal(p.severity, 'warning');
    assert.equal(slice(text, p.range), '"featuresKey"');
  });

  test('a format that cannot be inferred is an error on the path', () => {
    FAKE_FILES.add(path.join(FAKE_DIR, 'data/train.bin'));
    try {
      const text = manifestWith(MODEL).replace('"data/train.csv"', '"data/train.bin"');
      const p = theProblem(problemsOf(text), /tells its format .*found "data\/train\.bin"; add "format"/);
      assert.equal(p.severity, 'error');
      assert.equal(slice(text, p.range), '"data/train.bin"');
    } finally {
      FAKE_FILES.delete(path.join(FAKE_DIR, 'data/train.bin'));
    }
  });
});

describe('line endings and ranges', () => {
  test('CRLF input: lines and characters are counted as the editor does', () => {
    const lf = manifestWith('"modle": "model/model.json",');
    const text = lf.replace(/\n/g, '\r\n');
    const p = theProblem(problemsOf(text), /unknown property "modle"/);
    assert.equal(slice(text, p.range), '"modle"');
    const lines = text.split('\r\n');
    const line = lines.findIndex((l) => l.includes('"modle"'));
    assert.deepEqual(p.range.start, { line, character: lines[line]!.indexOf('"modle"') });
    assert.deepEqual(p.range.end, { line, character: lines[line]!.indexOf('"modle"') + 7 });
  });

  test('offsetToTextRange handles \\n, \\r\\n, lone \\r and the end of the text', () => {
    const text = 'ab\r\ncd\ref\ngh';
    assert.deepEqual(offsetToTextRange(text, 4, 2), { start: { line: 1, character: 0 }, end: { line: 1, character: 2 }, offset: 4, length: 2 });
    assert.deepEqual(offsetToTextRange(text, 7, 1).start, { line: 2, character: 0 });
    assert.deepEqual(offsetToTextRange(text, 10, 2).end, { line: 3, character: 2 });
    // Ranges are clamped to the text.
    assert.deepEqual(offsetToTextRange(text, 11, 5), { start: { line: 3, character: 1 }, end: { line: 3, character: 2 }, offset: 11, length: 1 });
  });

  test('rangeOf gives keys and values; array elements have no key', () => {
    const text = readFileSync(FIXTURE_FILE, 'utf8');
    const { ranges } = parseManifest(text, FIXTURE_FILE);
    assert.equal(slice(text, ranges.rangeOf(['audits', 1, 'model'], 'key')!), '"model"');
    assert.equal(slice(text, ranges.rangeOf(['audits', 1, 'model'])!), '"model/model.json"');
    assert.equal(slice(text, ranges.rangeOf(['audits', 1, 'policy', 'rules', 0, 'fpr'])!), '0.01');
    assert.equal(slice(text, ranges.rangeOf(['audits', 1, 'attacks', 1])!), '"confidence-population"');
    assert.equal(ranges.rangeOf(['audits', 1], 'key'), undefined);
    assert.equal(ranges.rangeOf(['audits', 7, 'model']), undefined);
  });
});

describe('syntax errors', () => {
  test('trailing comma: the range jsonc-parser reports, no manifest', () => {
    const text = '{\r\n  "version": 1,\r\n  "audits": [],\r\n}';
    const { problems, manifest } = parseManifest(text, FAKE_FILE);
    assert.equal(manifest, undefined);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /trailing comma before "}"/);
    assert.equal(slice(text, problems[0]!.range), '}');
    assert.deepEqual(problems[0]!.range.start, { line: 3, character: 0 });
  });

  test('missing comma: expected and found', () => {
    const text = '{ "version": 1 "audits": [] }';
    const { problems } = parseManifest(text, FAKE_FILE);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /expected a comma "," between items, found "\\"audits\\""/);
    assert.equal(slice(text, problems[0]!.range), '"audits"');
  });

  test('comments are not JSON', () => {
    const text = '{ "version": 1, // one\n "audits": [] }';
    const { problems } = parseManifest(text, FAKE_FILE);
    assert.equal(problems.length, 1);
    assert.equal(slice(text, problems[0]!.range), '// one');
  });

  test('unclosed document: the end of the file', () => {
    const text = '{ "version": 1, "audits": [';
    const { problems } = parseManifest(text, FAKE_FILE);
    assert.ok(problems.length >= 1);
    assert.match(problems[0]!.message, /found the end of the file/);
    assert.equal(problems[0]!.range.offset, text.length);
  });

  test('never throws, whatever the input', () => {
    const inputs = ['', '   ', 'null', '"x"', '[]', '[1,', '{"audits": {}}', '{"version": 1, "audits": [null, 3, "x", []]}',
      '{"version": 1, "audits": [{"name": 1, "model": [], "members": {"path": 2}, "nonMembers": null, "attacks": "x", "policy": {"rules": {}}}]}',
      '{"version": 1, "audits": [{"policy": {"rules": [null, {"metric": 3, "fpr": "x"}]}, "attacks": [1, null]}]}', '\u0000', '{"a":1,"a":2'];
    for (const text of inputs) {
      const result = parseManifest(text, FAKE_FILE, { fileExists: fakeExists });
      assert.equal(result.manifest, undefined, text);
      assert.ok(result.problems.length > 0, text);
      assert.ok(result.problems.every((p) => p.range.offset >= 0 && p.range.offset + p.range.length <= text.length), text);
    }
  });
});

describe('discovery and proposals', () => {
  const write = (root: string, rel: string, content: string | Buffer) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  };
  const tfjsModel = readFileSync(path.join(FIXTURE_DIR, 'model/model.json'));

  test('findManifests finds privacy-audit.json files, skipping node_modules, .git and dist, to a bounded depth', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'mpl-find-'));
    try {
      for (const rel of ['privacy-audit.json', 'a/privacy-audit.json', 'a/b/c/privacy-audit.json', 'node_modules/x/privacy-audit.json',
        '.git/privacy-audit.json', 'dist/privacy-audit.json', 'a/other.json']) write(root, rel, '{}');
      assert.deepEqual(findManifests(root), ['a/b/c/privacy-audit.json', 'a/privacy-audit.json', 'privacy-audit.json'].map((r) => path.join(root, r)));
      assert.deepEqual(findManifests(root, 1), ['a/privacy-audit.json', 'privacy-audit.json'].map((r) => path.join(root, r)));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('proposeManifest pairs IDX images with labels, finds CSV label columns, ignores non-TF.js model.json, and parses cleanly', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'mpl-propose-'));
    try {
      // A Fashion-MNIST layout: model in its own folder, data in a sibling folder.
      write(root, 'fashion/model/model.json', tfjsModel);
      for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
        write(root, `fashion/data/${f}`, Buffer.from([0x1f, 0x8b]));
      }
      // A tabular model with its data beside it, a shadow set and a label named "Target".
      write(root, 'credit/model.json', tfjsModel);
      write(root, 'credit/train.csv', 'age,income,Target\n30,1,0\n');
      write(root, 'credit/holdout.csv', 'age,income,Target\n41,2,1\n');
      write(root, 'credit/shadow_train.csv', 'age,income,Target\n52,3,1\n');
      // Not a TF.js model, and a model with no non-members: neither becomes an audit.
      write(root, 'config/model.json', '{"learning_rate": 0.1}');
      write(root, 'lonely/model.json', tfjsModel);
      write(root, 'lonely/train.csv', 'a,label\n1,0\n');
      write(root, 'node_modules/pkg/model.json', tfjsModel);
      // A population further up the tree than the members: another model's data, not taken.
      write(root, 'population.csv', 'x,label\n1,0\n');

      const proposal = proposeManifest(root);
      assert.equal(proposal.audits, 2);
      assert.deepEqual(JSON.parse(proposal.text), {
        version: 1,
        audits: [
          {
            name: 'credit',
            model: 'credit/model.json',
            members: 'credit/train.csv',
            nonMembers: 'credit/holdout.csv',
            population: 'credit/shadow_train.csv',
            label: 'Target',
            policy: { rules: DEFAULT_POLICY },
          },
          {
            name: 'fashion',
            model: 'fashion/model/model.json',
            members: { path: 'fashion/data/train-images-idx3-ubyte.gz', labelsPath: 'fashion/data/train-labels-idx1-ubyte.gz' },
            nonMembers: { path: 'fashion/data/t10k-images-idx3-ubyte.gz', labelsPath: 'fashion/data/t10k-labels-idx1-ubyte.gz' },
            policy: { rules: DEFAULT_POLICY },
          },
        ],
      });
      assert.ok(proposal.text.endsWith('}\n') && proposal.text.includes('\n  "audits": ['), 'pretty-printed');

      const file = path.join(root, 'privacy-audit.json');
      const parsed = parseManifest(proposal.text, file);
      assert.deepEqual(parsed.problems, []);
      assert.equal(parsed.manifest?.audits[1]?.members.labelsPath, path.join(root, 'fashion/data/train-labels-idx1-ubyte.gz'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('proposeManifest gives per-dataset labels when the label columns differ', () => {
    const proposal = proposeManifest(FIXTURE_DIR);
    assert.equal(proposal.audits, 1);
    const audit = JSON.parse(proposal.text).audits[0];
    assert.equal(audit.name, path.basename(FIXTURE_DIR));
    assert.equal(audit.label, undefined);
    assert.deepEqual(audit.members, { path: 'data/members.csv', label: 'label' });
    assert.deepEqual(audit.nonMembers, { path: 'data/nonmembers.csv', label: 'label' });
    assert.deepEqual(audit.population, { path: 'data/population.jsonl', label: 'y' });
  });

  test('proposeManifest of a folder without models proposes no audit', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'mpl-empty-'));
    try {
      write(root, 'train.csv', 'x,label\n1,0\n');
      const proposal = proposeManifest(root);
      assert.deepEqual(proposal, { text: '{\n  "version": 1,\n  "audits": []\n}\n', audits: 0 });
      // Still a valid manifest: an empty audit list is only a warning, on the list.
      const { problems, manifest } = parseManifest(proposal.text, path.join(root, 'privacy-audit.json'));
      assert.equal(problems.length, 1);
      assert.equal(problems[0]!.severity, 'warning');
      assert.equal(slice(proposal.text, problems[0]!.range), '[]');
      assert.deepEqual(manifest?.audits, []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
