/**
 * The scanner against a corpus of real pickle-based files (scripts/make-scan-corpus.py):
 * every malicious file, each confirmed by CPython's own unpickler with an inert recorder in
 * place of the import step, must give an error-level finding, naming the callable the
 * recorder saw; no benign file (torch, scikit-learn, joblib, numpy) may give an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanArtifact, type ScanResult } from '../../src/engine/scan';

const DIR = path.join(__dirname, '..', 'fixtures', 'scan-corpus');

interface Entry {
  file: string;
  label: 'malicious' | 'benign';
  kind: string;
  payload?: string;
  oracle?: { imports: string[]; streams: number; error?: string };
}

const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as { counts: Record<string, number>; kinds: string[]; files: Entry[] };
const ERROR_RULES = new Set(['unsafe-artifact', 'unverified-artifact']);

function errors(r: ScanResult) {
  return r.findings.filter((f) => f.severity === 'high' && ERROR_RULES.has(f.rule));
}

test('the corpus is as large as the issue asks and every malicious file was confirmed by the oracle', () => {
  const malicious = expected.files.filter((e) => e.label === 'malicious');
  const benign = expected.files.filter((e) => e.label === 'benign');
  assert.ok(malicious.length >= 150, `${malicious.length} malicious files`);
  assert.ok(benign.length >= 30, `${benign.length} benign files`);
  for (const e of malicious.filter((x) => x.payload)) assert.ok(e.oracle?.imports.includes(e.payload!), `${e.file}: the oracle saw ${e.payload}`);
  for (const kind of ['stream-start', 'second-stream', 'legacy-torch', 'compressed', 'tar', 'zip', 'safetensors-lookalike', 'memo', 'escapes',
    'dotted-name', 're-export', 'compat-pickle', 'warned-callable', 'copyreg-extension', 'npy', 'npz', 'joblib-alignment']) {
    assert.ok(expected.kinds.includes(kind), `kind ${kind} has cases`);
  }
});

test('100% recall: every malicious file gives an error naming the callable the oracle saw', async () => {
  const missed: string[] = [];
  const unnamed: string[] = [];
  let compressed = 0;
  for (const e of expected.files.filter((x) => x.label === 'malicious')) {
    const r = await scanArtifact(path.join(DIR, e.file));
    const errs = errors(r);
    if (errs.length === 0) {
      missed.push(`${e.file}: ${r.findings.map((f) => `${f.severity}:${f.rule}`).join(', ') || 'no findings'}`);
      continue;
    }
    if (isBz2XzOrLzma(e.file)) compressed++;
    if (e.payload && !errs.some((f) => f.data?.callable === e.payload)) {
      unnamed.push(`${e.file}: wanted ${e.payload}, errors name ${errs.map((f) => f.data?.callable ?? f.message.slice(0, 60)).join(' | ')}`);
    }
  }
  assert.deepEqual(missed, [], `missed ${missed.length}`);
  assert.deepEqual(unnamed, [], `not named ${unnamed.length}`);
  // Every bz2/xz/lzma file was decoded and its callable named (the loop above requires the name for them).
  assert.ok(compressed >= 15, `${compressed} bz2/xz/lzma malicious files`);
});

/** By content, as joblib picks its decompressor: BZ, the xz magic, ]\0. */
function head(file: string): Buffer {
  const fd = fs.openSync(path.join(DIR, file), 'r');
  try {
    const buf = Buffer.alloc(6);
    fs.readSync(fd, buf, 0, 6, 0);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}
function isBz2OrXz(file: string): boolean {
  const h = head(file);
  return h.subarray(0, 2).toString('latin1') === 'BZ' || h.equals(Buffer.from('fd377a585a00', 'hex'));
}
function isLzma(file: string): boolean {
  const h = head(file);
  return h[0] === 0x5d && h[1] === 0;
}
function isBz2XzOrLzma(file: string): boolean {
  return isBz2OrXz(file) || isLzma(file);
}

test('no error on the benign set, and each benign pickle-based file is recognised as one', async () => {
  const wrong: string[] = [];
  let bz2xz = 0;
  for (const e of expected.files.filter((x) => x.label === 'benign')) {
    const r = await scanArtifact(path.join(DIR, e.file));
    const bad = r.findings.filter((f) => f.severity === 'high' || f.severity === 'medium');
    if (isBz2XzOrLzma(e.file)) {
      bz2xz++;
      if (r.format !== 'joblib' || r.imports.length === 0) wrong.push(`${e.file}: decoded as ${r.format} with ${r.imports.length} imports`);
    }
    if (bad.length) wrong.push(`${e.file}: ${bad.map((f) => `${f.severity}:${f.rule}: ${f.message.slice(0, 160)}`).join(' | ')}`);
    if (e.kind !== 'raw' && !r.pickleBased && !/numpy-(float32|int64|uint8|structured|arrays|compressed)/.test(e.file)) wrong.push(`${e.file}: not recognised as pickle-based (${r.format})`);
  }
  assert.deepEqual(wrong, []);
  assert.ok(bz2xz >= 9, `${bz2xz} benign bz2/xz/lzma models decoded without an error`);
});

test('the scanner resolves every import the oracle resolved (same module and name, after _compat_pickle and dotted names)', async () => {
  const disagree: string[] = [];
  let compared = 0;
  for (const e of expected.files) {
    if (!e.oracle || e.oracle.error !== undefined || e.oracle.imports.length === 0) continue;
    // Extension codes resolve through copyreg's registry (filled for the oracle only).
    if (e.kind === 'copyreg-extension') continue;
    const r = await scanArtifact(path.join(DIR, e.file));
    if (r.findings.some((f) => f.data?.compression !== undefined && f.rule === 'unverified-artifact')) continue;
    const seen = new Set(r.imports.map((i) => `${i.module}.${i.name}`));
    const missing = [...new Set(e.oracle.imports)].filter((name) => !seen.has(name));
    compared++;
    if (missing.length) disagree.push(`${e.file}: the oracle imported ${missing.join(', ')}; the scanner saw ${[...seen].join(', ')}`);
  }
  assert.ok(compared >= 200, `${compared} files compared`);
  assert.deepEqual(disagree, []);
});
