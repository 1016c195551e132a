/** The shadow cache file format: round trip, and every kind of damage reads as "missing". */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheFile, readCachedShadow, removeStaleTemporaries, writeCachedShadow, type CacheHeader } from '../../src/engine/shadow/cache';

const header: CacheHeader = { key: 'a'.repeat(64), shadow: 3, auditCount: 5, populationCount: 2, queries: 2, numClasses: 3 };
const audit = Float32Array.from({ length: 5 * 2 * 3 }, (_, i) => i / 30);
const population = Float32Array.from({ length: 2 * 3 }, (_, i) => 1 - i / 6);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadow-cache-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('shadow cache files', () => {
  test('round trip, written atomically (no temporary file left)', () => {
    writeCachedShadow(dir, header, { auditProbabilities: audit, populationProbabilities: population });
    assert.deepEqual(fs.readdirSync(dir), [path.basename(cacheFile(dir, header.key))]);
    const read = readCachedShadow(dir, header);
    assert.ok(read !== undefined, 'the file reads back');
    assert.deepEqual(Array.from(read.auditProbabilities), Array.from(audit));
    assert.deepEqual(Array.from(read.populationProbabilities ?? []), Array.from(population));
  });

  test('without population', () => {
    const h = { ...header, populationCount: 0 };
    writeCachedShadow(dir, h, { auditProbabilities: audit });
    const read = readCachedShadow(dir, h);
    assert.ok(read !== undefined, 'the file reads back');
    assert.equal(read.populationProbabilities, undefined);
  });

  test('a missing file is a miss', () => {
    assert.equal(readCachedShadow(dir, header), undefined);
  });

  test('a truncated (half-written) file is a miss', () => {
    writeCachedShadow(dir, header, { auditProbabilities: audit, populationProbabilities: population });
    const file = cacheFile(dir, header.key);
    const bytes = fs.readFileSync(file);
    for (const length of [0, 7, 20, bytes.length - 33, bytes.length - 1]) {
      fs.writeFileSync(file, bytes.subarray(0, length));
      assert.equal(readCachedShadow(dir, header), undefined, `truncated to ${length} bytes`);
    }
  });

  test('a flipped byte anywhere is a miss', () => {
    writeCachedShadow(dir, header, { auditProbabilities: audit, populationProbabilities: population });
    const file = cacheFile(dir, header.key);
    const bytes = fs.readFileSync(file);
    for (const at of [0, 10, 40, bytes.length - 40, bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[at] ^= 0x01;
      fs.writeFileSync(file, damaged);
      assert.equal(readCachedShadow(dir, header), undefined, `byte ${at} flipped`);
    }
  });

  test('a file for other dimensions is a miss', () => {
    writeCachedShadow(dir, header, { auditProbabilities: audit, populationProbabilities: population });
    assert.equal(readCachedShadow(dir, { ...header, queries: 1 }), undefined, 'other query count');
    assert.equal(readCachedShadow(dir, { ...header, shadow: 4 }), undefined, 'other shadow index');
  });

  test('stale temporary files of a killed run are removed, fresh ones and cache files kept', () => {
    writeCachedShadow(dir, header, { auditProbabilities: audit, populationProbabilities: population });
    const final = path.basename(cacheFile(dir, header.key));
    const stale = `${final}.123.abcd.tmp`;
    const fresh = `${final}.456.ef01.tmp`;
    fs.writeFileSync(path.join(dir, stale), 'half');
    fs.writeFileSync(path.join(dir, fresh), 'half');
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    fs.utimesSync(path.join(dir, stale), hourAgo, hourAgo);
    removeStaleTemporaries(dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), [final, fresh].sort());
  });
});
