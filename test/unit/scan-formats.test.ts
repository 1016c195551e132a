/**
 * The scanner's readers checked against what CPython and numpy do with the same bytes
 * (expected values computed with Python 3.11 / numpy 1.24: ast.literal_eval,
 * numpy.lib.format.descr_to_dtype(...).hasobject, pickle's find_class): NPY headers, memo
 * keys, string escapes, _compat_pickle names, zips with duplicate or lying members,
 * compressed and sniffed files, fail-closed caps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { literalEval } from '../../src/engine/scan/python-literal';
import { readNpyHeader } from '../../src/engine/scan/npy-header';
import { scanPickle } from '../../src/engine/scan/pickle-scanner';
import { scanPickleStreams } from '../../src/engine/scan/pickle-streams';
import { scanArchive } from '../../src/engine/scan/archive-scan';
import { mayHoldPickle } from '../../src/engine/scan/sniff';
import { inflateFile } from '../../src/engine/scan/compressed';
import { scanArtifact } from '../../src/engine/scan';

const b = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const su = (s: string) => `\x8c${String.fromCharCode(s.length)}${s}`;

function npy(header: string, data = ''): Uint8Array {
  const h = header + ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  return b(`\x93NUMPY\x01\x00${String.fromCharCode(h.length & 0xff, h.length >> 8)}${h}${data}`);
}

test('NPY headers are read with literal_eval semantics, and object dtypes found as numpy finds them', () => {
  // [header, descr as Python shows it, hasobject] from ast.literal_eval + descr_to_dtype.
  const cases: [string, string, boolean][] = [
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'descr': '|O'}", "'|O'", true],
    ["{'descr': '|' 'O', 'fortran_order': False, 'shape': (1, 2), }", "'|O'", true],
    ["{'descr': '\\x4f', 'fortran_order': False, 'shape': (), }", "'O'", true],
    ["{'descr': '''<f4''', 'fortran_order': False, 'shape': (2,), } # comment", "'<f4'", false],
    ["{'descr': r'<i8', 'fortran_order': False, 'shape': (0x2,), }", "'<i8'", false],
    ["{'descr': [('a', '<i8'), ('b', '|O')], 'fortran_order': False, 'shape': (1,), }", "[('a', '<i8'), ('b', '|O')]", true],
    ["{'descr': 'i8,O', 'fortran_order': False, 'shape': (1,)}", "'i8,O'", true],
    ['{"descr": "O8", "fortran_order": False, "shape": (1,)}', "'O8'", true],
    ["{'descr': 'float64', 'fortran_order': False, 'shape': (1,)}", "'float64'", false],
    ["{'descr': 'object', 'fortran_order': False, 'shape': (1,)}", "'object'", true],
    ["{'descr': [('a', '|O', (2,))], 'fortran_order': False, 'shape': (1,)}", "[('a', '|O', (2,))]", true],
  ];
  for (const [header, descr, object] of cases) {
    const r = readNpyHeader(npy(header));
    assert.ok(r.ok, `${header}: ${JSON.stringify(r)}`);
    assert.equal(r.descr, descr, header);
    assert.equal(r.objectDtype, object, `${header}: hasobject`);
  }
  const extra = readNpyHeader(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}"));
  assert.ok(!extra.ok && !extra.unverified && /exactly the keys/.test(extra.message), 'numpy refuses other keys');
  const odd = readNpyHeader(npy("{'descr': 'weird-dtype', 'fortran_order': False, 'shape': (1,)}"));
  assert.ok(!odd.ok && odd.unverified, 'a dtype the scanner does not model is unverified, not passed');
  assert.deepEqual(literalEval("(1,)"), { t: 'tuple', items: [{ t: 'int', v: 1n }] });
  assert.deepEqual(literalEval("(1)"), { t: 'int', v: 1n }, 'parentheses alone make no tuple');
  assert.throws(() => literalEval("'a' b'b'"), /mix bytes/);
});

test('memo keys are Python ints (never rounded), MEMOIZE uses len(memo), escapes decode as CPython does', () => {
  const tail = `${su('system')}\x93${su('x')}\x85R.`;
  const cases: [string, string][] = [
    // 2^53 + 1 and 2^53 are one double apart: a rounded key would fetch 'torch'.
    [`(S'os'\np9007199254740993\n0S'torch'\np9007199254740992\n00\x80\x04g9007199254740993\n${tail}`, 'os'],
    [`\x80\x04${su('torch')}q\x01${'0'}${su('os')}\x94${'0'}h\x01${tail}`, 'os'],
    [`\x80\x04${su('os')}p 7\n0g0_7\n${tail}`, 'os'],
    [`S'\\157s'\nS'\\x73ystem'\n\x80\x04\x93${su('x')}\x85R.`, 'os'],
    [`V\\u006fs\nVsys\\u0074em\n\x80\x04\x93${su('x')}\x85R.`, 'os'],
  ];
  for (const [pickle, module] of cases) {
    const scan = scanPickle(b(pickle));
    assert.equal(scan.problem, undefined, JSON.stringify(scan.problem));
    assert.deepEqual(scan.imports.map((i) => `${i.module}.${i.name}:${i.kind}`), [`${module}.system:dangerous`], JSON.stringify(pickle));
  }
  // raw-unicode-escape: an even run of backslashes is not an escape (b'\\\\u0041' decodes to '\\\\u0041').
  const even = scanPickle(b('V\\\\u0041\n.'), 0, { recordOps: true });
  assert.equal(even.ops?.[0].arg, '\\\\u0041');
  assert.equal(scanPickle(b('p-1\n.')).problem?.kind, 'malformed', 'negative PUT refused as CPython does');
});

test('protocol 0-2 names go through _compat_pickle; protocol 4 dotted names are never allowed', () => {
  const p2 = scanPickle(b('\x80\x02ccStringIO\nopen\n)R.'));
  assert.deepEqual(p2.imports.map((i) => [`${i.module}.${i.name}`, i.kind, i.written?.module]), [['io.open', 'dangerous', 'cStringIO']]);
  const p3 = scanPickle(b('\x80\x03c__builtin__\nset\n)R.'));
  assert.equal(p3.imports[0].kind, 'unknown', 'protocol 3 is not mapped: __builtin__ does not exist there');
  const dotted = scanPickle(b(`\x80\x04${su('torch._utils')}${su('_rebuild_tensor_v2.__globals__')}\x93.`));
  assert.equal(dotted.imports[0].kind, 'unknown', 'an allowed callable with an attribute chain is not allowed');
});

test('zips: duplicate members are all scanned, a lying size and an over-cap member are unverified', () => {
  // fflate writes one entry per key: build a zip with two data.pkl entries by hand from two single-entry zips.
  const evil = b('\x80\x02cos\nsystem\nX\x01\x00\x00\x00x\x85R.');
  const fine = b('\x80\x02}.');
  const zip = twoEntryZip('archive/data.pkl', fine, 'archive/data.pkl', evil);
  const r = scanArchive('x.pt', zip, 'pickle-zip');
  assert.equal(r.pickles, 2, 'both members scanned');
  assert.deepEqual(r.imports.map((i) => `${i.module}.${i.name}`), ['os.system']);

  const big = zipSync({ 'a/data.pkl': new Uint8Array(5000).fill(0x4e) });
  const capped = scanArchive('x.pt', big, 'pickle-zip', { member: 1000, total: 10_000 });
  assert.ok(capped.findings.some((f) => f.rule === 'unverified-artifact' && f.severity === 'high' && /inflates past the 1000-byte cap/.test(f.message)), JSON.stringify(capped.findings));
});

function twoEntryZip(n1: string, d1: Uint8Array, n2: string, d2: Uint8Array): Uint8Array {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of [[n1, d1], [n2, d2]] as const) {
    const raw = deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(raw.length, 18); lh.writeUInt32LE(data.length, 22); lh.writeUInt16LE(nameBytes.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(raw.length, 20); ch.writeUInt32LE(data.length, 24); ch.writeUInt16LE(nameBytes.length, 28); ch.writeUInt32LE(offset, 42);
    local.push(lh, nameBytes, raw);
    central.push(ch, nameBytes);
    offset += 30 + nameBytes.length + raw.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(2, 8); eocd.writeUInt16LE(2, 10); eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...local, cd, eocd]));
}

test('fail closed: a stream cut by the read cap is unverified; a stream that breaks after an import is unverified', () => {
  const cut = scanPickleStreams('f.pkl', b('\x80\x04}(' + su('a') + 'K\x01'), { fileCapped: true });
  assert.deepEqual(cut.findings.map((f) => `${f.severity}:${f.rule}`), ['high:unverified-artifact']);
  const broken = scanPickleStreams('f.pkl', b('\x80\x02ctorch\nFloatStorage\n\xff'));
  assert.deepEqual(broken.findings.map((f) => `${f.severity}:${f.rule}`), ['high:unverified-artifact'], 'an allowed import, then a byte CPython rejects');
  const computed = scanPickleStreams('f.pkl', b(`\x80\x04cbuiltins\nstr\n${su('os')}\x85R${su('system')}\x93.`));
  assert.ok(computed.findings.some((f) => f.rule === 'unverified-artifact' && /STACK_GLOBAL/.test(f.message)), 'a computed module name');
});

test('content sniffing: pickles, zips and compressed data under any name; raw data and text are not pickles', async () => {
  assert.equal(mayHoldPickle(b('\x80\x04N.'), false), true);
  assert.equal(mayHoldPickle(b(`K\x07${'0'}${su('os')}${su('system')}\x93.`), false), true, 'no PROTO header');
  assert.equal(mayHoldPickle(new Uint8Array(new Float32Array([0, 1, 2, 3]).buffer), false), false, 'raw floats');
  assert.equal(mayHoldPickle(b('BZh91AY&SY'), false), true, 'bz2');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-sniff-'));
  const write = (name: string, data: Uint8Array) => { const f = path.join(dir, name); fs.writeFileSync(f, data); return f; };
  const payload = b('\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x01x\x85R.');
  for (const name of ['model', 'weights.dat', 'clf.sav', 'x.model', 'x.p']) {
    const r = await scanArtifact(write(name, payload));
    assert.ok(r.findings.some((f) => f.severity === 'high' && f.data?.callable === 'os.system'), `${name}: found by content`);
  }
  const gz = await scanArtifact(write('clf.joblib', new Uint8Array(gzipSync(payload))));
  assert.ok(gz.findings.some((f) => f.data?.callable === 'os.system'), 'gzip-compressed joblib inflated and scanned');
  // A protocol 0 pickle starting "(S" has a valid zlib header: it must still be read as a pickle.
  const p0 = await scanArtifact(write('p0.pkl', b("(S'a'\np0\nt.")));
  assert.deepEqual(p0.findings.filter((f) => f.severity !== 'info'), [], JSON.stringify(p0.findings));
  assert.equal(p0.format, 'pickle');
  const csv = await scanArtifact(write('class.csv', b('class\nsystem\n1\n')));
  assert.equal(csv.pickleBased, false, 'a CSV is never sniffed as a pickle');
  const xz = await scanArtifact(write('m.joblib', b('\xfd7zXZ\x00\x00\x04')));
  assert.ok(xz.findings.some((f) => f.rule === 'unverified-artifact' && f.data?.compression === 'xz'), 'an xz header cut short decodes to nothing: unverified');
});

test('VS Code detection lists .bin/.dat/.sav/.p/.model and common extension-less names only when their content may be a pickle', async () => {
  const { classify } = await import('../../src/extension/detection/classify');
  const { sniffPickle } = await import('../../src/extension/detection/content-sniff');
  for (const name of ['/w/weights.bin', '/w/x.dat', '/w/clf.sav', '/w/x.p', '/w/lm.model', '/w/checkpoint']) {
    assert.deepEqual(classify(name), { kind: 'model', format: 'pickle', byContent: true }, name);
  }
  assert.equal(classify('/w/README'), undefined, 'other extension-less names are not candidates');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-detect-'));
  const pickled = path.join(dir, 'weights.bin');
  fs.writeFileSync(pickled, b('cposix\nsystem\n(S\'x\'\ntR.'));
  const raw = path.join(dir, 'raw.bin');
  fs.writeFileSync(raw, Buffer.from(new Float32Array(1000).fill(1.5).buffer));
  assert.equal(await sniffPickle(pickled), true, 'a protocol 0 pickle named .bin');
  assert.equal(await sniffPickle(raw), false, 'raw float32 weights');
  assert.equal(await sniffPickle(path.join(dir, 'missing.bin')), false, 'a file gone before the read');
});

test('the extension\'s light sniffer lets every malicious corpus file through and almost no raw data', async () => {
  const { mayHoldPickle } = await import('../../src/extension/detection/content-sniff');
  const dir = path.join(__dirname, '..', 'fixtures', 'scan-corpus');
  const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { files: { file: string; label: string; kind: string }[] };
  const missed = expected.files.filter((e) => e.label === 'malicious' && !mayHoldPickle(new Uint8Array(fs.readFileSync(path.join(dir, e.file)).subarray(0, 65536))));
  assert.deepEqual(missed.map((e) => e.file), []);
  // Raw float32 weights from a fixed-seed generator: 64 KiB heads, as detection reads them.
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let listed = 0;
  for (let i = 0; i < 500; i++) {
    const f = new Float32Array(16384).map(() => next() * 2 - 1);
    if (mayHoldPickle(new Uint8Array(f.buffer))) listed++;
  }
  assert.ok(listed <= 5, `${listed} of 500 raw weight files would be listed (at most 1%)`);
});

test('the scanner\'s own limits are never read as "CPython would fail here": the rest is unverified, even in a sniffed .bin', () => {
  const payload = 'cos\nsystem\n(S\'x\'\ntR.';
  const cases: [string, string][] = [
    // C's strtol reads "010" as 8, pickle.py refuses it: the scanner cannot say which loader reads it.
    [`I010\n0${payload}`, 'octal INT'],
    [`S'${'x'.repeat((1 << 20) + 10)}'\n0${payload}`, 'a line past the scanner\'s 1 MiB'],
    [`${'N'.repeat((1 << 20) + 1)}${payload}`, 'a stack past its cap'],
  ];
  for (const [data, what] of cases) {
    for (const mode of ['pickle', 'sniff'] as const) {
      const r = scanPickleStreams('x.bin', b(data), { mode });
      assert.deepEqual(r.findings.map((f) => `${f.severity}:${f.rule}`), ['high:unverified-artifact'], `${what} (${mode})`);
    }
  }
  // A float CPython reads (inf, underscores) does not stop the scan before the payload.
  const r = scanPickleStreams('x.bin', b(`Finf\n0F1_0.5\n0${payload}`), { mode: 'sniff' });
  assert.deepEqual(r.imports.map((i) => `${i.module}.${i.name}`), ['os.system']);
});

test('privacy-lint inspect: an extension-less pickle and an unverifiable xz joblib exit 1 (unsafe), a raw .dat exits 0', async () => {
  const { inspectArtifact, inspectExitCode } = await import('../../src/engine/inspect');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-inspect-'));
  const write = (name: string, data: Uint8Array) => { const f = path.join(dir, name); fs.writeFileSync(f, data); return f; };
  const noExt = await inspectArtifact(write('checkpoint', b("cposix\nsystem\n(S'x'\ntR.")));
  assert.equal(noExt.kind, 'pickle');
  assert.equal(inspectExitCode(noExt), 1, JSON.stringify(noExt.findings));
  const xz = await inspectArtifact(write('clf.joblib', b('\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4F')));
  assert.equal(inspectExitCode(xz), 1, 'not verifiable: exit 1');
  const raw = await inspectArtifact(write('raw.dat', new Uint8Array(new Float64Array([0.5, 1.5, 2.5]).buffer)));
  assert.equal(inspectExitCode(raw), 0, JSON.stringify(raw.findings));
  assert.equal(raw.pickleBased, false);
});

test('a FIFO named like a model is refused at once by the scanner and skipped by detection, never opened blocking', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { sniffPickle } = await import('../../src/extension/detection/content-sniff');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-fifo-'));
  const fifo = path.join(dir, 'model.bin');
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    t.skip('mkfifo not available');
    return;
  }
  const started = Date.now();
  await assert.rejects(scanArtifact(fifo), /special file/);
  assert.equal(await sniffPickle(fifo), false);
  assert.ok(Date.now() - started < 2000, 'no blocking open');
});

test('a compressed pickle is inflated whatever words its name holds; only x.csv.gz-style names are left to the dataset loaders', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-names-'));
  const payload = gzipSync(Buffer.from('\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x01x\x85R.', 'latin1'));
  const named = path.join(dir, 'model.txt.joblib');
  fs.writeFileSync(named, payload);
  const r = await scanArtifact(named);
  assert.ok(r.findings.some((f) => f.data?.callable === 'os.system'), JSON.stringify(r.findings));
  const csv = path.join(dir, 'train.csv.gz');
  fs.writeFileSync(csv, gzipSync(Buffer.from('class\nsystem\n1\n')));
  assert.equal((await scanArtifact(csv)).pickleBased, false);
});

/** Made with Python 3.11's bz2/lzma modules; PAYLOAD is the pickle each holds. */
const PAYLOAD = '80048c026f738c0673797374656d938c017885522e';
const HEX = {
  bz2: '425a68393141592653590bc2c2d8000007d3e035000001100002028c6042040800200031434d30004103468f4d214967221cc09eb034715f1772453850900bc2c2d8',
  // lzma.compress(PAYLOAD, check=lzma.CHECK_SHA256): Python reads it; xz-embedded has no SHA-256.
  xzSha256: 'fd377a585a00000ae1fb0ca10200210116000000742fe5a301001480048c026f738c0673797374656d938c017885522e000000002b6b6c2c0461f9cd2b3e0ba2676a741696c8ad08f786faa919ee1cc6c19066eb0001451580ea55c0189b4b9a01000000000a595a',
  xz: 'fd377a585a000004e6d6b4460200210116000000742fe5a301001480048c026f738c0673797374656d938c017885522e0000000018490fc62948b59200012d152f0b716d1fb6f37d010000000004595a',
  // HEX.xz with its block header claiming a 128 MiB dictionary (CRC fixed): liblzma reads it, xz-embedded stops at 64 MiB (joblib's largest preset).
  xzDict128M: 'fd377a585a000004e6d6b446020021011e0000009b07516601001480048c026f738c0673797374656d938c017885522e0000000018490fc62948b59200012d152f0b716d1fb6f37d010000000004595a',
  // HEX.xz with its stream footer's third-last byte flipped.
  xzBadFooter: 'fd377a585a000004e6d6b4460200210116000000742fe5a301001480048c026f738c0673797374656d938c017885522e0000000018490fc62948b59200012d152f0b716d1fb6f37d0100000000fb595a',
  // bz2.compress / lzma.compress of 1 MiB of zeros.
  bz2Zeros: '425a683931415926535938571ce50008084000c0040008200030cc0529a60806c4201e2ee48a70a12070ae39ca',
  xzZeros: 'fd377a585a000004e6d6b4460200210116000000742fe5a3efffff00d95d00006ffdffffa3b7ff473e481572396151b89228e6a38607f9eee41e82d32fc53a3c014bb17ec98a8a4d2fa30dd97fa6e38c231153e05918c5758ae277f8b6947f0c6ac0de744964e2e95c53b204d8f7440cab5f0d6d46e9e5c37688b79657acb64de1691d6ffb4b88106c42cb883f5c008fd04eaf262894711f3d8f24e1709ea7235fec28cb85d195988a7e2a91f22775f719c006984d98fdd8afd5900fc42553f8f591363105a5b0ee6fc1704d470cd19111aaad601dbaceb127185c5986e9665258bee976ac59e4e55b0508f9c7daadfcfb522af7e495250000000000c2f6ba3ea2706b600001f5018080400079977f47b1c467fb020000000004595a',
};

test('bz2 and xz are decompressed: the callable is named, a pickle may span streams, cut-short or unsupported data is unverified', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-bz2xz-'));
  const write = (name: string, hex: string) => { const f = path.join(dir, name); fs.writeFileSync(f, Buffer.from(hex, 'hex')); return f; };
  const named = async (f: string) => (await scanArtifact(f)).findings.some((x) => x.severity === 'high' && x.data?.callable === 'os.system');
  assert.ok(await named(write('clf.joblib', HEX.bz2)), 'bz2 joblib');
  assert.ok(await named(write('weights.dat', HEX.bz2)), 'bz2 under a sniffed name');
  // bzip2 streams back to back, as BZ2File reads them: the second stream alone holds the payload.
  const two = Buffer.concat([Buffer.from(HEX.bz2, 'hex'), Buffer.from(HEX.bz2, 'hex')]);
  fs.writeFileSync(path.join(dir, 'two.joblib'), two);
  const twoScan = await scanArtifact(path.join(dir, 'two.joblib'));
  assert.equal(twoScan.pickles, 2, 'both streams decoded and scanned');
  assert.ok(await named(write('clf-xz.joblib', HEX.xz)), 'xz joblib');
  assert.ok(await named(write('x.model', HEX.xz)), 'xz under a sniffed name');
  // xz-decompress drops the output it holds when it meets the damage: nothing came out, so nothing is verified.
  const badFooter = await scanArtifact(write('bad-footer.joblib', HEX.xzBadFooter));
  assert.ok(badFooter.findings.some((x) => x.rule === 'unverified-artifact' && x.severity === 'high' && /corrupt xz data/.test(x.message)), JSON.stringify(badFooter.findings));

  const sha = await scanArtifact(write('sha.joblib', HEX.xzSha256));
  const shaErr = sha.findings.find((x) => x.rule === 'unverified-artifact' && x.data?.compression === 'xz');
  assert.ok(shaErr && shaErr.severity === 'high' && /SHA-256/.test(shaErr.message), JSON.stringify(sha.findings));

  const dict = await scanArtifact(write('dict.joblib', HEX.xzDict128M));
  assert.ok(dict.findings.some((x) => x.rule === 'unverified-artifact' && x.severity === 'high' && /dictionary larger/.test(x.message)), JSON.stringify(dict.findings));

  const cut = await scanArtifact(write('cut.joblib', HEX.bz2.slice(0, -12)));
  assert.ok(cut.findings.some((x) => x.severity === 'high' && x.data?.callable === 'os.system'), 'the whole pickle sits before the cut: named');
  const cutEarly = await scanArtifact(write('cut-early.joblib', HEX.bz2.slice(0, 40)));
  assert.ok(cutEarly.findings.some((x) => x.rule === 'unverified-artifact' && x.severity === 'high' && /ends before/.test(x.message)), JSON.stringify(cutEarly.findings));
});

test('bz2 and xz output stops at the cap whatever the data holds (1 MiB of zeros, 100 kB cap)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-bomb-'));
  for (const [kind, hex] of [['bz2', HEX.bz2Zeros], ['xz', HEX.xzZeros]] as const) {
    const f = path.join(dir, `zeros.${kind}`);
    fs.writeFileSync(f, Buffer.from(hex, 'hex'));
    const capped = await inflateFile(f, kind, 100_000, 10, () => true);
    assert.equal(capped.capped, true, kind);
    assert.equal(capped.bytes.length, 100_000, kind);
    const whole = await inflateFile(f, kind, 2 << 20, 10, () => true);
    assert.equal(whole.capped, false, kind);
    assert.equal(whole.bytes.length, 1 << 20, `${kind}: all of it under a larger cap`);
    assert.ok(whole.bytes.every((x) => x === 0), kind);
    // keepGoing saying no after the first bytes ends decoding there (a dataset that is no pickle).
    const stopped = await inflateFile(f, kind, 2 << 20, 10, () => false);
    assert.equal(stopped.stopped, true, kind);
  }
  // xz-decompress decodes one stream at a time: a capped, stopped or failed stream must have freed the decoder.
  const again = path.join(dir, 'again.joblib');
  fs.writeFileSync(again, Buffer.from(HEX.xz, 'hex'));
  const bad = path.join(dir, 'bad.joblib');
  fs.writeFileSync(bad, Buffer.from(HEX.xzBadFooter, 'hex'));
  const zeros = path.join(dir, 'zeros.xz');
  const all = await Promise.all([scanArtifact(again), inflateFile(zeros, 'xz', 1000, 10, () => true), scanArtifact(bad), scanArtifact(again)]);
  assert.ok(all[0].findings.some((x) => x.data?.callable === 'os.system'));
  assert.equal(all[1].bytes.length, 1000);
  assert.ok(all[2].findings.some((x) => x.rule === 'unverified-artifact'));
  assert.ok(all[3].findings.some((x) => x.data?.callable === 'os.system'), 'the last of four scans at once still gets the decoder');
});
