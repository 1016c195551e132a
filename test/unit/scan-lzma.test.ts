/**
 * The scanner's own LZMA ("alone") decoder against Python's lzma module: every fixture
 * decodes to exactly the bytes Python compressed (SHA-256), streams back to back are all
 * read, a declared size is honoured, the cap stops a bomb at once, and what it cannot or
 * must not decode is an error, never a silent pass. Fixtures: scripts/make-lzma-fixtures.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unlzmaFile } from '../../src/engine/scan/lzma-decoder';
import { inflateFile } from '../../src/engine/scan/compressed';

const DIR = path.join(__dirname, '..', 'fixtures', 'scan-lzma');
const expected: Record<string, { sha256: string; size: number }> = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8'));

test('every fixture decodes to exactly what Python compressed', async () => {
  assert.ok(Object.keys(expected).length >= 6);
  for (const [file, want] of Object.entries(expected)) {
    const hash = createHash('sha256');
    let size = 0;
    const decoded = await unlzmaFile(path.join(DIR, file), (chunk) => {
      hash.update(chunk);
      size += chunk.length;
      return 'go';
    });
    assert.deepEqual(decoded, {}, file);
    assert.equal(size, want.size, file);
    assert.equal(hash.digest('hex'), want.sha256, file);
  }
});

test('a 100 MB bomb stops at the cap within a fraction of a second', async () => {
  const started = Date.now();
  const out = await inflateFile(path.join(DIR, 'bomb-100mb.lzma'), 'lzma', 1_000_000, 64, () => true);
  assert.equal(out.capped, true);
  assert.ok(out.bytes.length <= 1_000_000);
  assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
});

test('a dictionary above 64 MiB is not decoded (unsupported: fail closed); cut-short and damaged streams are errors', async () => {
  const big = await unlzmaFile(path.join(DIR, 'dict-128mib.lzma'), () => 'go');
  assert.equal(big.unsupported, true);
  assert.match(big.error ?? '', /dictionary of 134217728 bytes/);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-lzma-'));
  const good = fs.readFileSync(path.join(DIR, 'text-preset6.lzma'));
  const cut = path.join(dir, 'cut.lzma');
  fs.writeFileSync(cut, good.subarray(0, good.length >> 1));
  assert.match((await unlzmaFile(cut, () => 'go')).error ?? '', /cut short/);
  const header = path.join(dir, 'header.lzma');
  fs.writeFileSync(header, good.subarray(0, 8));
  assert.match((await unlzmaFile(header, () => 'go')).error ?? '', /header is cut short/);
  const props = path.join(dir, 'props.lzma');
  fs.writeFileSync(props, Buffer.concat([Buffer.from([225]), good.subarray(1)]));
  assert.match((await unlzmaFile(props, () => 'go')).error ?? '', /bad LZMA properties byte 225/);
  // Damage in the middle: an error, or different bytes (never the original passing as intact).
  const damaged = Buffer.from(good);
  for (let i = 200; i < 260; i++) damaged[i] ^= 0x5a;
  const bad = path.join(dir, 'damaged.lzma');
  fs.writeFileSync(bad, damaged);
  const hash = createHash('sha256');
  const out = await unlzmaFile(bad, (c) => (hash.update(c), 'go'));
  assert.ok(out.error !== undefined || hash.digest('hex') !== expected['text-preset6.lzma']!.sha256);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the callback can stop decoding (a file that is no pickle costs one chunk)', async () => {
  let calls = 0;
  const out = await unlzmaFile(path.join(DIR, 'random-preset0.lzma'), () => (calls++, 'stop'));
  assert.deepEqual(out, { halted: 'stop' });
  assert.equal(calls, 1);
});
