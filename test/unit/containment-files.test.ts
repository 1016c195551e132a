/**
 * Safe reads on a real filesystem: only regular files inside the workspace are opened, sizes
 * are checked before reading, and decompression stops at its cap whatever headers claim.
 * Every case must fail with a clear InputError within a time and memory bound.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { isInside, outsideWorkspace, readRegularFile, readRegularFileSync, withReadPolicy } from '../../src/engine/artifacts/safe-files';
import { listZipMembers, readZipMember } from '../../src/engine/artifacts/capped-inflate';
import { loadDataset } from '../../src/engine/artifacts/datasets';
import { loadModel } from '../../src/engine/artifacts/models';
import { isInputError } from '../../src/engine/errors';

const MiB = 2 ** 20;

function tmp(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-contain-')));
}

/** Runs `work`, asserts it throws an InputError matching `pattern` within `maxMs`, and returns how long it took and the peak RSS growth. */
async function refusesWithin(work: () => unknown, pattern: RegExp, maxMs: number, maxRssMiB = 64): Promise<{ ms: number; rssMiB: number }> {
  const peakBefore = process.resourceUsage().maxRSS;
  const t0 = performance.now();
  let error: unknown;
  try {
    await work();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  const rssMiB = (process.resourceUsage().maxRSS - peakBefore) / 1024;
  assert.ok(error !== undefined, 'expected a refusal, the read succeeded');
  assert.ok(isInputError(error), `expected an InputError, got ${String(error)}`);
  assert.match((error as Error).message, pattern);
  assert.ok((error as Error).message.length < 600, `message is ${(error as Error).message.length} characters`);
  assert.ok(ms < maxMs, `took ${ms.toFixed(0)} ms, bound ${maxMs} ms`);
  assert.ok(rssMiB < maxRssMiB, `peak RSS grew by ${rssMiB.toFixed(0)} MiB, bound ${maxRssMiB} MiB`);
  return { ms, rssMiB };
}

/** 16 MiB of zeros as raw-deflate blocks that end on a full flush: repeating them is still a valid stream, so a bomb costs nothing to build. */
const ZERO_BLOCKS = zlib.deflateRawSync(Buffer.alloc(16 * MiB), { finishFlush: zlib.constants.Z_FULL_FLUSH, level: 9 });
/** BFINAL fixed-Huffman block holding only end-of-block. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

function deflateBomb(prefix: Buffer, sixteenMiBs: number): Buffer {
  const head = prefix.length > 0 ? [zlib.deflateRawSync(prefix, { finishFlush: zlib.constants.Z_FULL_FLUSH })] : [];
  return Buffer.concat([...head, ...Array<Buffer>(sixteenMiBs).fill(ZERO_BLOCKS), FINAL_BLOCK]);
}

function gzipBomb(prefix: Buffer, sixteenMiBs: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
  // CRC and size trailer left zero: the reader must stop long before it would check them.
  return Buffer.concat([header, deflateBomb(prefix, sixteenMiBs), Buffer.alloc(8)]);
}

/** A one-member zip whose central directory declares `declaredSize` for deflated `data`. */
function zipWith(name: string, data: Buffer, declaredSize: number): Buffer {
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declaredSize, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declaredSize, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42);
  const centralOffset = local.length + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

describe('only regular files are opened', () => {
  test('a symlink to /dev/zero is refused by type, as a dataset and through the low-level reader', async () => {
    const dir = tmp();
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.csv'));
    await refusesWithin(() => readRegularFileSync(path.join(dir, 'zero.csv'), { maxBytes: 2 ** 31, what: 'dataset file' }), /expected the dataset file to be a regular file, found a character device/, 500);
    await refusesWithin(() => loadDataset({ path: path.join(dir, 'zero.csv') }), /zero\.csv: expected the dataset file to be a regular file, found a character device/, 500);
  });

  test('a FIFO is refused at once, never waited on (dataset, labels file, model)', async () => {
    const dir = tmp();
    for (const name of ['data.csv', 'labels.txt', 'model.onnx']) execFileSync('mkfifo', [path.join(dir, name)]);
    await refusesWithin(() => loadDataset({ path: path.join(dir, 'data.csv') }), /expected the dataset file to be a regular file, found a FIFO/, 1000);
    fs.writeFileSync(path.join(dir, 'features.csv'), 'f0\n1\n2\n');
    await refusesWithin(() => loadDataset({ path: path.join(dir, 'features.csv'), labelsPath: path.join(dir, 'labels.txt') }), /expected the labels file to be a regular file, found a FIFO/, 1000);
    await refusesWithin(() => loadModel(path.join(dir, 'model.onnx')), /expected the model file to be a regular file, found a FIFO/, 1000);
  });

  test('/proc and /sys entries are refused even though they look like regular files', async () => {
    await refusesWithin(() => readRegularFileSync('/proc/self/environ', { maxBytes: MiB, what: 'dataset file' }), /\/proc\/self\/environ: the dataset file resolves to \/proc\/\d+\/environ, a kernel file \(under \/proc, \/sys or \/dev\)/, 500);
    const dir = tmp();
    fs.symlinkSync('/proc/self/environ', path.join(dir, 'env.csv'));
    await refusesWithin(() => loadDataset({ path: path.join(dir, 'env.csv') }), /a kernel file/, 500);
  });

  test('the size is checked before reading: a sparse 3 GiB file is refused without reading a byte', async () => {
    const dir = tmp();
    const file = path.join(dir, 'huge.csv');
    const fd = fs.openSync(file, 'w');
    fs.ftruncateSync(fd, 3 * 2 ** 30);
    fs.closeSync(fd);
    await refusesWithin(() => loadDataset({ path: file }), /file is 3\.0 GiB; dataset files must be smaller than 2\.0 GiB/, 500, 16);
  });
});

describe('files stay inside the workspace', () => {
  test('a path or symlink out of the root is refused at open time; inside it, links are fine', async () => {
    const root = tmp();
    const outside = tmp();
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'f0,label\nSECRET-CONTENT,1\n');
    fs.writeFileSync(path.join(root, 'data.csv'), 'f0,label\n1,0\n2,1\n');
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(root, 'link.csv'));
    fs.symlinkSync(path.join(root, 'data.csv'), path.join(root, 'inner.csv'));
    const policy = { root, allowOutside: false };
    await withReadPolicy(policy, async () => {
      await refusesWithin(() => loadDataset({ path: path.join(root, 'link.csv') }), /resolves outside the workspace .* \(through a symlink, to .*secret\.csv\); refused/, 500);
      await refusesWithin(() => loadDataset({ path: path.join(root, '../', path.basename(outside), 'secret.csv') }), /resolves outside the workspace/, 500);
      await refusesWithin(() => loadDataset({ path: '/etc/passwd', format: 'csv' }), /resolves outside the workspace/, 500);
      const inner = await loadDataset({ path: path.join(root, 'inner.csv') });
      assert.equal(inner.count, 2);
    });
    // The user's explicit permission lifts the confinement (never the manifest's).
    const allowed = await withReadPolicy({ root, allowOutside: true }, () => readRegularFile(path.join(root, 'link.csv'), { maxBytes: MiB, what: 'dataset file' }));
    assert.match(allowed.toString(), /SECRET-CONTENT/);
  });

  test('containment is decided on real paths: "..name" is inside, "../x" and a sibling with a common prefix are not', () => {
    assert.equal(isInside('/w/ws/..data.csv', '/w/ws'), true);
    assert.equal(isInside('/w/ws', '/w/ws'), true);
    assert.equal(isInside('/w/ws-other/x.csv', '/w/ws'), false);
    assert.equal(isInside('/w/x.csv', '/w/ws'), false);
    const root = tmp();
    fs.mkdirSync(path.join(root, 'sub'));
    assert.equal(outsideWorkspace(path.join(root, 'sub', '..', '..', 'x'), root)?.startsWith('resolves outside the workspace'), true);
    assert.equal(outsideWorkspace(path.join(root, 'not-yet', 'file.csv'), root), undefined, 'a path that does not exist yet is judged by its existing ancestor');
  });

  test('a TF.js weight shard that is a symlink to /dev/zero, or out of the folder, is refused', async () => {
    const dir = tmp();
    const modelJson = {
      format: 'layers-model',
      modelTopology: { class_name: 'Sequential', config: { layers: [] } },
      weightsManifest: [{ paths: ['shard.bin'], weights: [{ name: 'w', shape: [4], dtype: 'float32' }] }],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
    fs.symlinkSync('/dev/zero', path.join(dir, 'shard.bin'));
    await refusesWithin(() => loadModel(path.join(dir, 'model.json')), /shard\.bin: the weight shard resolves outside the workspace .*\(through a symlink, to \/dev\/zero\)/, 1000);
    fs.unlinkSync(path.join(dir, 'shard.bin'));
    const outside = tmp();
    fs.writeFileSync(path.join(outside, 'w.bin'), Buffer.alloc(16));
    fs.symlinkSync(path.join(outside, 'w.bin'), path.join(dir, 'shard.bin'));
    await refusesWithin(() => loadModel(path.join(dir, 'model.json')), /the weight shard resolves outside the workspace/, 1000);
  });
});

describe('decompression stops at its cap whatever headers claim', () => {
  test('a zip member that declares 1 MiB but inflates to 5 GiB stops after 1 MiB (NPZ and .keras)', async () => {
    const dir = tmp();
    const bomb = deflateBomb(Buffer.alloc(0), 320);
    assert.ok(bomb.length < 6 * MiB);
    const npz = path.join(dir, 'bomb.npz');
    fs.writeFileSync(npz, zipWith('x.npy', bomb, MiB));
    const { ms, rssMiB } = await refusesWithin(() => loadDataset({ path: npz, featuresKey: 'x', labelsPath: npz }), /field "x\.npy"\): zip member inflates to more than the 1\.0 MiB it declares; refused/, 1000, 32);
    console.log(`NPZ 5 GiB bomb declaring 1 MiB: refused in ${ms.toFixed(0)} ms, peak RSS +${rssMiB.toFixed(0)} MiB`);
    const keras = path.join(dir, 'bomb.keras');
    fs.writeFileSync(keras, zipWith('config.json', bomb, MiB));
    await refusesWithin(() => loadModel(keras), /zip member inflates to more than the 1\.0 MiB it declares/, 1000, 32);
  });

  test('a member whose declaration is honest is read exactly; one that inflates short is refused', () => {
    const data = Buffer.from('hello, zip');
    const zip = zipWith('a.txt', zlib.deflateRawSync(data), data.length);
    const [member] = listZipMembers(zip, 'a.zip');
    assert.equal(Buffer.from(readZipMember(zip, member!, MiB, 'a.zip')).toString(), 'hello, zip');
    const short = zipWith('a.txt', zlib.deflateRawSync(data), data.length + 5);
    assert.throws(() => readZipMember(short, listZipMembers(short, 'a.zip')[0]!, MiB, 'a.zip'), /holds 10 bytes but declares 15/);
  });

  test('a gzipped IDX bomb is stopped by its header: huge declared shapes at once, small ones at their declared size', async () => {
    const dir = tmp();
    // 5 MiB of gzip that would inflate to 4 GiB; the header declares 2^31 - 1 bytes of ubyte.
    const header = Buffer.from([0, 0, 0x08, 1, 0x7f, 0xff, 0xff, 0xff]);
    const big = path.join(dir, 'big-idx1-ubyte.gz');
    fs.writeFileSync(big, gzipBomb(header, 256));
    const first = await refusesWithin(() => loadDataset({ path: big }), /the IDX header declares shape \[2147483647\]: 8\.0 GiB of float features; at most 2\.0 GiB/, 1000, 32);
    // A header declaring 100 records, followed by gigabytes: refused once the stream passes the declared size.
    const small = path.join(dir, 'small-idx1-ubyte.gz');
    fs.writeFileSync(small, gzipBomb(Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 100]), 256));
    const second = await refusesWithin(() => loadDataset({ path: small }), /gzip data expands past the 108 bytes its header declares; refused/, 1000, 32);
    console.log(`gzip IDX bombs (4 GiB each): refused in ${first.ms.toFixed(0)} and ${second.ms.toFixed(0)} ms, peak RSS +${Math.max(first.rssMiB, second.rssMiB).toFixed(0)} MiB`);
  });
});

describe('gzipped NPY', () => {
  test('a gzipped NPY bomb is stopped by its header, and an honest gzipped NPY still loads', async () => {
    const dir = tmp();
    const npyHeader = (shape: string) => {
      let h = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
      h += ' '.repeat(63 - ((10 + h.length) % 64)) + '\n';
      const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
      pre.writeUInt16LE(h.length, 8);
      return Buffer.concat([pre, Buffer.from(h, 'latin1')]);
    };
    const big = path.join(dir, 'big.npy.gz');
    fs.writeFileSync(big, gzipBomb(npyHeader('(1000000000, 4)'), 256));
    await refusesWithin(() => loadDataset({ path: big, labelsPath: big }), /the NPY header declares shape \[1000000000, 4\]: 14\.9 GiB of float features; at most 2\.0 GiB/, 1000, 32);
    const small = path.join(dir, 'small.npy.gz');
    fs.writeFileSync(small, gzipBomb(npyHeader('(10, 4)'), 256));
    await refusesWithin(() => loadDataset({ path: small, labelsPath: small }), /gzip data expands past the 288 bytes its header declares; refused/, 1000, 32);
    const honest = path.join(dir, 'x.npy.gz');
    fs.writeFileSync(honest, zlib.gzipSync(Buffer.concat([npyHeader('(2, 4)'), Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer)])));
    fs.writeFileSync(path.join(dir, 'y.txt'), '0\n1\n');
    const loaded = await loadDataset({ path: honest, labelsPath: path.join(dir, 'y.txt') });
    assert.deepEqual([...loaded.features], [1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('bounded text parsing', () => {
  test('a 50 MB one-line CSV fails fast with a short message', async () => {
    const dir = tmp();
    const file = path.join(dir, 'line.csv');
    fs.writeFileSync(file, Buffer.alloc(50 * 1000 * 1000, 'a'));
    const { ms } = await refusesWithin(() => loadDataset({ path: file }), /line\.csv:\d+: a record is longer than 1048576 characters; CSV records \(lines\) must be shorter/, 5000, 256);
    console.log(`50 MB one-line CSV: refused in ${ms.toFixed(0)} ms`);
  });

  test('a 50 MB one-line JSON Lines file fails fast, before the line becomes a string', async () => {
    const dir = tmp();
    const file = path.join(dir, 'line.jsonl');
    fs.writeFileSync(file, Buffer.alloc(50 * 1000 * 1000, '['));
    const { ms } = await refusesWithin(() => loadDataset({ path: file }), /line\.jsonl:1: line is 50000000 bytes; JSON Lines records must be at most 1048576 bytes/, 5000, 256);
    console.log(`50 MB one-line JSONL: refused in ${ms.toFixed(0)} ms`);
  });

  test('a bad cell is quoted as a short, escaped excerpt', async () => {
    const dir = tmp();
    const file = path.join(dir, 'cell.csv');
    fs.writeFileSync(file, `f0,label\n"\u001b[31m${'x'.repeat(100_000)}",1\n`);
    await refusesWithin(() => loadDataset({ path: file }), /found "\\x1b\[31mx+\.\.\. \(100005 characters in all\)", expected a number/, 2000);
  });
});
