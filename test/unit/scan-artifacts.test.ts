import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import { findLambdaLayers, scanArtifact, type ScanResult } from '../../src/engine/scan';
import { scanArchive } from '../../src/engine/scan/archive-scan';
import { checkSafetensors } from '../../src/engine/scan/safetensors';
import { isInputError } from '../../src/engine/errors';

const DIR = path.resolve(__dirname, '../fixtures/scan');
const GENOPS = JSON.parse(fs.readFileSync(path.join(DIR, 'genops.json'), 'utf8')) as Record<string, [number, string, unknown][]>;

function scan(name: string): Promise<ScanResult> {
  return scanArtifact(path.join(DIR, name));
}

function severities(r: ScanResult): string[] {
  return r.findings.map((f) => `${f.severity}:${f.rule}`);
}

/** Offset genops gives the opcode importing module.name: GLOBAL "module name", or the STACK_GLOBAL after the name string. */
function importOffset(key: string, module: string, name: string): number {
  const ops = GENOPS[key];
  const global = ops.find((op) => op[1] === 'GLOBAL' && op[2] === `${module} ${name}`);
  if (global) return global[0];
  const nameAt = ops.findIndex((op) => op[2] === name);
  return ops.slice(nameAt).find((op) => op[1] === 'STACK_GLOBAL')![0];
}

test('malicious files give an error naming module.name and its byte offset', async () => {
  const cases: { file: string; callable: string; offset: number; member?: string; format: string }[] = [
    { file: 'os-system-global.pkl', callable: 'os.system', offset: 0, format: 'pickle' },
    { file: 'os-system-stack-global.pkl', callable: 'os.system', offset: importOffset('os-system-stack-global.pkl', 'os', 'system'), format: 'pickle' },
    // A protocol 2 pickle's __builtin__.eval is what CPython imports: builtins.eval (_compat_pickle).
    { file: 'builtins-eval.pkl', callable: 'builtins.eval', offset: 2, format: 'pickle' },
    { file: 'subprocess-popen.pkl', callable: 'subprocess.Popen', offset: importOffset('subprocess-popen.pkl', 'subprocess', 'Popen'), format: 'pickle' },
    { file: 'torch-malicious.pt', callable: 'posix.system', offset: importOffset('torch-malicious.pt!archive/data.pkl', 'posix', 'system'), member: 'archive/data.pkl', format: 'pytorch-zip' },
    // genops' offsets in the NPY fixture are already file offsets (it started at the data).
    { file: 'object-malicious.npy', callable: 'posix.system', offset: importOffset('object-malicious.npy', 'posix', 'system'), format: 'npy' },
    { file: 'joblib-malicious.joblib', callable: 'posix.system', offset: importOffset('joblib-malicious.joblib#after-last-array', 'posix', 'system'), format: 'joblib' },
  ];
  for (const c of cases) {
    const r = await scan(c.file);
    assert.equal(r.format, c.format, `${c.file}: format`);
    assert.equal(r.pickleBased, true, `${c.file}: pickle-based`);
    const error = r.findings.find((f) => f.severity === 'high' && f.rule === 'unsafe-artifact');
    assert.ok(error, `${c.file}: an error finding, found ${severities(r).join(', ')}`);
    assert.equal(error.data?.callable, c.callable, `${c.file}: callable`);
    assert.equal(error.data?.offset, c.offset, `${c.file}: offset`);
    if (c.member) assert.equal(error.data?.member, c.member, `${c.file}: member`);
    assert.match(error.message, new RegExp(`${c.callable.replace('.', '\\.')} at byte ${c.offset}`), `${c.file}: message names callable and offset`);
    assert.equal(error.location.file, path.join(DIR, c.file), 'whole-file location');
    assert.equal(error.location.range, undefined, 'no range: the whole file');
  }
  const npz = await scan('object-malicious.npz');
  const npzError = npz.findings.find((f) => f.severity === 'high');
  assert.equal(npzError?.data?.callable, 'posix.system', 'NPZ member object array scanned');
  assert.equal(npzError?.data?.member, 'payload.npy', 'names the member');
});

test('benign checkpoints and pickles have no error or warning, only the pickle-based note', async () => {
  for (const [file, format] of [['state-dict.pt', 'pytorch-zip'], ['state-dict-legacy.pth', 'pytorch-legacy'], ['plain-dict.pkl', 'pickle'],
    ['plain-dict-p0.pkl', 'pickle'], ['plain-dict-p1.pkl', 'pickle'], ['object-ints.npy', 'npy'], ['joblib-benign.joblib', 'joblib']] as const) {
    const r = await scan(file);
    assert.equal(r.format, format, `${file}: format`);
    assert.equal(r.pickleBased, true, `${file}: pickle-based`);
    assert.deepEqual(r.findings.filter((f) => f.severity !== 'info'), [], `${file}: nothing above info, found ${severities(r).join(', ')}`);
    assert.ok(r.findings.some((f) => f.rule === 'unsafe-artifact' && /never loads it/.test(f.message)), `${file}: says it is pickle-based`);
  }
  const legacy = await scan('state-dict-legacy.pth');
  assert.equal(legacy.pickles, 5, 'legacy torch: five pickle streams, then raw storage bytes');
});

test('unknown imports are an error (deny by default); truncated pickles an input problem at the cut', async () => {
  const unknown = await scan('unknown-import.pkl');
  assert.deepEqual(severities(unknown), ['high:unsafe-artifact'], 'one error');
  assert.match(unknown.findings[0].message, /mylib\.models\.CustomNet at byte 2: it is not on the allowlist/);
  assert.equal(unknown.findings[0].data?.callable, 'mylib.models.CustomNet', 'names the callable');
  const truncated = await scan('truncated.pkl');
  const problem = truncated.findings.find((f) => f.rule === 'invalid-input');
  assert.equal(problem?.severity, 'high', 'a truncated pickle cannot be loaded');
  assert.match(problem!.message, /truncated pickle at byte \d+/);
});

test('a zip member that lies about its size is inflated only as far as it goes, and is not verified', async () => {
  const before = process.memoryUsage().rss;
  const r = await scan('zip-bomb.pt');
  const refused = r.findings.find((f) => f.rule === 'unverified-artifact');
  assert.match(refused?.message ?? '', /declares 3221225472 bytes uncompressed but holds 2006/, `found ${severities(r)}`);
  assert.equal(refused?.severity, 'high', 'a member readers disagree on is an error');
  assert.equal(r.pickleBased, true, 'still pickle-based: it holds data.pkl');
  assert.ok(process.memoryUsage().rss - before < 512 * 1024 * 1024, 'nothing near the declared size was allocated');
  assert.ok(r.bytesScanned < 10_000, `only the archive itself was read (${r.bytesScanned} bytes)`);
});

test('caps on members and totals are checked before inflating', () => {
  const zip = zipSync({ 'a/data.pkl': new Uint8Array(5000).fill(0x4e), 'b.pkl': Buffer.from('\x80\x02N.', 'latin1') });
  const r = scanArchive('x.pt', zip, 'pickle-zip', { member: 1000, total: 10_000 });
  const refused = (x: typeof r) => x.findings.filter((f) => /was not scanned/.test(f.message)).map((f) => f.data?.member);
  assert.deepEqual(refused(r), ['a/data.pkl'], 'the big member is refused');
  assert.equal(r.pickles, 1, 'the small member is scanned');
  const total = scanArchive('x.pt', zip, 'pickle-zip', { member: 10_000, total: 5001 });
  assert.deepEqual(refused(total), ['b.pkl'], 'the total cap refuses the rest');
  const corrupt = scanArchive('x.pt', Buffer.from('PK\x03\x04garbage', 'latin1'), 'pickle-zip');
  assert.match(corrupt.findings[0]?.message ?? '', /zip/, 'a corrupt zip is a finding, not a crash');
});

test('a .bin that is neither pickle nor zip is reported as not pickle-based; extension alone never decides', async () => {
  const bin = await scan('raw-weights.bin');
  assert.equal(bin.pickleBased, false, 'raw floats are not a pickle');
  assert.match(bin.findings[0]?.message ?? '', /not pickle-based/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-scan-'));
  const renamed = path.join(dir, 'weights.dat');
  fs.copyFileSync(path.join(DIR, 'subprocess-popen.pkl'), renamed);
  const r = await scanArtifact(renamed);
  assert.equal(r.pickleBased, true, 'a pickle under another name is still found by its header');
  assert.ok(r.findings.some((f) => f.severity === 'high'), 'and still flagged');
  const fakePt = path.join(dir, 'model.pt');
  fs.writeFileSync(fakePt, 'hello, not a pickle');
  // A .pt must be a pickle; text fails at its first opcode, before any import: unreadable, not unsafe.
  const fake = await scanArtifact(fakePt);
  assert.deepEqual(fake.findings.map((f) => `${f.severity}:${f.rule}`), ['high:invalid-input'], 'text named .pt cannot be loaded');
  assert.match(fake.findings[0].message, /before any import/);
  await assert.rejects(scanArtifact(path.join(dir, 'missing.pkl')), (e: unknown) => isInputError(e) && /missing\.pkl: cannot read the file: no such file/.test(e.message));
});

test('safetensors: a valid header reports tensors and parameter count; bad ones name the problem', async () => {
  const valid = await scan('valid.safetensors');
  assert.deepEqual(valid.findings, [], 'no findings');
  assert.equal(valid.parameterCount, GENOPS['valid.safetensors#parameters'] as unknown as number, 'parameter count as the generator computed');
  assert.deepEqual(valid.safetensors?.tensors.map((t) => `${t.name}:${t.dtype}:${t.shape.join('x')}`).sort(),
    ['dense.bias:I64:4', 'dense.weight:F32:2x3', 'scalar:BF16:', 'scale:F16:2'], 'tensors');
  assert.deepEqual(valid.safetensors?.metadata, { format: 'pt', note: 'fixture' }, 'metadata');
  const expectations: [string, RegExp][] = [
    ['bad-offsets.safetensors', /"dense\.bias": data_offsets \[24, 80\) run past the data section, which has 62 bytes/],
    ['unknown-dtype.safetensors', /"dense\.weight": unknown dtype "F33"/],
    ['overlapping.safetensors', /"dense\.bias" bytes \[16, 48\) overlap tensor "dense\.weight" bytes \[0, 24\)/],
    ['wrong-length.safetensors', /shape \[3, 3\] of F32 needs 36 bytes but data_offsets span 24/],
    ['header-too-large.safetensors', /declares 524288000 bytes; headers over 100000000 bytes are refused unread/],
  ];
  for (const [file, message] of expectations) {
    const r = await scan(file);
    assert.equal(r.format, 'safetensors', `${file}: format`);
    const high = r.findings.filter((f) => f.severity === 'high');
    assert.equal(high.length, 1, `${file}: one error, found ${r.findings.map((f) => f.message).join(' | ')}`);
    assert.match(high[0].message, message, file);
    assert.equal(r.parameterCount, undefined, `${file}: no parameter count from a broken header`);
  }
  const head = (obj: unknown, data = 0) => {
    const json = Buffer.from(JSON.stringify(obj));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return { bytes: Buffer.concat([len, json]), size: 8 + json.length + data };
  };
  const gap = head({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [1], data_offsets: [4, 5] } }, 5);
  assert.match(checkSafetensors('g', gap.bytes, gap.size).findings[0]?.message ?? '', /hole: bytes \[2, 4\)/, 'holes are reported');
  const meta = head({ __metadata__: { n: 3 } });
  assert.match(checkSafetensors('m', meta.bytes, meta.size).findings[0]?.message ?? '', /"__metadata__"\."n" must be a string/, 'metadata values are strings');
  assert.match(checkSafetensors('t', Buffer.from([1, 2]), 2).findings[0]?.message ?? '', /fewer than the 8-byte header length/, 'tiny files');
});

test('Keras Lambda layers are found anywhere in the config, nested models included', async () => {
  const config = JSON.parse(fs.readFileSync(path.join(DIR, 'lambda-config.json'), 'utf8'));
  assert.deepEqual(findLambdaLayers(config), [{ name: 'scale_by_two', path: ['outer', 'inner_block'] }], 'the nested Lambda and where it sits');
  assert.deepEqual(findLambdaLayers({ class_name: 'Bidirectional', config: { name: 'bi', layer: { class_name: 'keras.layers.Lambda', config: { name: 'l' } } } }),
    [{ name: 'l', path: ['bi'] }], 'inside a wrapper, Keras 3 registered name');
  assert.deepEqual(findLambdaLayers({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd' } }] } }), [], 'none');
  const r = await scan('lambda.keras');
  assert.equal(r.format, 'keras', 'format');
  assert.deepEqual(severities(r), ['medium:serialized-code'], 'one warning');
  assert.match(r.findings[0].message, /Lambda layer "scale_by_two" \(in outer > inner_block\)/);
  assert.equal(r.pickleBased, false, 'a .keras zip is not pickle-based');
  assert.deepEqual((await scan('clean.keras')).findings, [], 'a clean .keras file has no findings');
  const h5 = await scan('lambda.h5');
  assert.equal(h5.format, 'keras-h5', '.h5 format');
  assert.deepEqual(h5.lambdaLayers, ['scale_by_two'], 'Lambda found in the HDF5 model_config attribute');
  assert.deepEqual(severities(h5), ['medium:serialized-code'], 'one warning');
  assert.deepEqual((await scan('clean.h5')).findings, [], 'a clean .h5 has no findings');
  const weightsOnly = await scan('weights-only.h5');
  assert.deepEqual(severities(weightsOnly), ['low:invalid-input'], 'an .h5 without a config: Lambda layers not checked, said quietly');
  let asked = '';
  const injected = await scanArtifact(path.join(DIR, 'clean.h5'), { readKerasH5Config: async (f) => { asked = f; return { class_name: 'Lambda', config: { name: 'x' } }; } });
  assert.equal(asked, path.join(DIR, 'clean.h5'), 'an injected reader is used');
  assert.deepEqual(injected.lambdaLayers, ['x'], 'with its config');
});
