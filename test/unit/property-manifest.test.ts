/**
 * Property-based tests of parseManifest (fast-check, fixed seed, bounded runs): generated
 * valid manifests round-trip into the Manifest they describe; mutated texts, arbitrary
 * JSON and arbitrary strings never throw, finish quickly, and every problem carries a
 * message and a range inside the text whose line/character positions match its offsets.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { knownAttacks } from '../../src/engine/attacks/catalog';
import { parseManifest, type ParseManifestResult } from '../../src/engine/manifest';

const SEED = 20261205;
const PER_CASE_MS = 1000;
const DIR = path.resolve('/workspace/property');
const FILE = path.join(DIR, 'privacy-audit.json');
/** Every path exists: these properties are about the text, not the disk. */
const everythingExists = () => true;

const parse = (text: string): ParseManifestResult => parseManifest(text, FILE, { fileExists: everythingExists });

// ---- Independent position computation for range checks

function positionOf(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === '\r' && text[i + 1] === '\n' && i + 1 < offset) continue; // \r\n counts once, at the \n
    if (c === '\n' || c === '\r') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: offset - lineStart };
}

function checkResult(text: string, result: ParseManifestResult): void {
  let previous = -1;
  for (const p of result.problems) {
    assert.ok(typeof p.message === 'string' && p.message.length > 10, `problem message: ${JSON.stringify(p.message)}`);
    assert.ok(p.severity === 'error' || p.severity === 'warning', `severity ${p.severity}`);
    const { offset, length } = p.range;
    assert.ok(Number.isInteger(offset) && offset >= 0 && length >= 0 && offset + length <= text.length, `range ${offset}+${length} inside a text of ${text.length}: ${p.message}`);
    assert.ok(offset >= previous, `problems sorted by offset (${offset} after ${previous})`);
    previous = offset;
    assert.deepEqual(p.range.start, positionOf(text, offset), `start position of offset ${offset}`);
    assert.deepEqual(p.range.end, positionOf(text, offset + length), `end position of offset ${offset + length}`);
  }
  const errors = result.problems.filter((p) => p.severity === 'error');
  if (result.manifest) assert.equal(errors.length, 0, 'a manifest is returned only without errors');
  else assert.ok(errors.length > 0, 'no manifest means at least one error');
}

function timed(text: string): ParseManifestResult {
  const start = performance.now();
  const result = parse(text);
  const elapsed = performance.now() - start;
  assert.ok(elapsed < PER_CASE_MS, `parseManifest took ${elapsed.toFixed(0)} ms on a ${text.length}-character text`);
  return result;
}

// ---- Generated valid manifests

const FILES = ['data/train.csv', 'data/test.tsv', 'data/x.npz', 'data/y.jsonl', 'data/t.parquet', 'data/t.arrow', 'mnist/train-images-idx3-ubyte.gz'];
const FORMATS = ['csv', 'tsv', 'jsonl', 'npy', 'npz', 'idx', 'parquet', 'arrow', 'images'] as const;
const labelName = fc.constantFrom('label', 'target', 'Class', 'y', 'espèce');

const dataset = fc.oneof(
  fc.constantFrom(...FILES),
  fc.record({
    path: fc.oneof(fc.constantFrom(...FILES), fc.constantFrom('data/train', 'images/test')),
    format: fc.constantFrom(...FORMATS),
    label: fc.oneof(labelName, fc.nat(20)),
  }, { requiredKeys: ['path', 'format'] }),
);

const audit = fc.record({
  model: fc.constantFrom('model/model.json', 'nets/a/model.json', 'm.json'),
  members: dataset,
  nonMembers: dataset,
  population: dataset,
  label: labelName,
  attacks: fc.subarray([...knownAttacks()], { minLength: 1 }),
}, { requiredKeys: ['model', 'members', 'nonMembers'] });

const manifestValue = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/), { minLength: 1, maxLength: 3 })
  .chain((names) => fc.tuple(...names.map((name) => audit.map((a) => ({ name, ...a })))))
  .map((audits) => ({ version: 1, audits }));

const layout = fc.record({ indent: fc.constantFrom(0, 1, 2, 4, '\t'), crlf: fc.boolean(), bom: fc.boolean() });

function render(value: unknown, { indent, crlf, bom }: { indent: number | string; crlf: boolean; bom: boolean }): string {
  const text = JSON.stringify(value, null, indent);
  return (bom ? '\uFEFF' : '') + (crlf ? text.replace(/\n/g, '\r\n') : text);
}

type Dataset = string | { path: string; format?: string; label?: string | number };

describe('parseManifest on generated manifests', () => {
  test('valid manifests parse without errors into the audits they describe', () => {
    fc.assert(fc.property(manifestValue, layout, (value, style) => {
      const text = render(value, style);
      const result = timed(text);
      checkResult(text, result);
      const errors = result.problems.filter((p) => p.severity === 'error').map((p) => p.message);
      assert.deepEqual(errors, [], 'no errors');
      const manifest = result.manifest!;
      assert.equal(manifest.file, FILE, 'manifest file');
      assert.equal(manifest.audits.length, value.audits.length, 'audit count');
      value.audits.forEach((raw, i) => {
        const got = manifest.audits[i]!;
        assert.equal(got.name, raw.name, 'name');
        assert.equal(got.model, path.resolve(DIR, raw.model), 'model path');
        if (raw.attacks) assert.deepEqual(got.attacks, raw.attacks, 'attacks');
        for (const role of ['members', 'nonMembers', 'population'] as const) {
          const given = raw[role] as Dataset | undefined;
          const spec = got[role];
          if (given === undefined) { assert.equal(spec, undefined, `${role} absent`); continue; }
          const object = typeof given === 'string' ? { path: given } : given;
          assert.equal(spec?.path, path.resolve(DIR, object.path), `${role} path`);
          assert.equal(spec?.format, object.format, `${role} format`);
          assert.equal(spec?.label, object.label ?? raw.label, `${role} label (own, else the audit's)`);
        }
      });
    }), { seed: SEED, numRuns: 300 });
  });
});

// ---- Mutated and arbitrary texts

const JSONISH = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '\r', '\t', 'a', '1', '-', '.', 'e', '/', '*', 'true', 'null', '\u00e9', '\ud83d\ude00', '\ud83d', '\u0000', '\uFEFF'];

type Edit = { kind: 'delete' | 'insert' | 'truncate' | 'duplicate'; at: number; length: number; insert: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'truncate', 'duplicate'),
  at: fc.nat(),
  length: fc.integer({ min: 1, max: 40 }),
  insert: fc.array(fc.constantFrom(...JSONISH), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')),
});

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    if (e.kind === 'delete') out = out.slice(0, at) + out.slice(at + e.length);
    else if (e.kind === 'insert') out = out.slice(0, at) + e.insert + out.slice(at);
    else if (e.kind === 'truncate') out = out.slice(0, at);
    else out = out.slice(0, at) + out.slice(at, at + e.length) + out.slice(at);
  }
  return out;
}

describe('parseManifest on broken input', () => {
  test('mutated valid manifests: no throw, bounded time, every problem inside the text', () => {
    fc.assert(fc.property(manifestValue, layout, fc.array(edit, { minLength: 1, maxLength: 4 }), (value, style, edits) => {
      const text = applyEdits(render(value, style), edits);
      checkResult(text, timed(text));
    }), { seed: SEED, numRuns: 1500 });
  });

  test('arbitrary JSON values: the schema reports what is wrong, with ranges inside the text', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), layout, (value, style) => {
      const text = render(value, style) ?? '';
      checkResult(text, timed(text));
    }), { seed: SEED, numRuns: 600 });
  });

  test('arbitrary strings, including lone surrogates and control characters', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
      checkResult(text, timed(text));
    }), { seed: SEED, numRuns: 1000 });
  });

  test('deep nesting is one clear problem, not a stack overflow', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('[', '{"a":', '{"version":1,"audits":['), (depth, opener) => {
      const text = opener.repeat(depth);
      const result = timed(text);
      checkResult(text, result);
      if (depth > 300) assert.ok(result.problems.some((p) => /nesting/.test(p.message)), `nesting problem at depth ${depth}`);
    }), { seed: SEED, numRuns: 40 });
  });
});
