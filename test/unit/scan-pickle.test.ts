import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { unzipSync } from 'fflate';
import { classifyImport } from '../../src/engine/scan/import-policy';
import { OPCODE_COUNT } from '../../src/engine/scan/pickle-opcodes';
import { MAX_STACK_DEPTH, scanPickle } from '../../src/engine/scan/pickle-scanner';

const DIR = path.resolve(__dirname, '../fixtures/scan');
/** pickletools.genops' [offset, opcode, arg] per fixture, written by scripts/make-scan-fixtures.py. */
const GENOPS = JSON.parse(fs.readFileSync(path.join(DIR, 'genops.json'), 'utf8')) as Record<string, unknown>;
type GenOp = [number, string, string | number | boolean | null];

function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(DIR, name));
}

function bytesOf(key: string): Uint8Array {
  const [file, member] = key.split('!');
  if (member === undefined) return fixture(file.replace(/#.*$/, ''));
  return unzipSync(fixture(file), { filter: (f) => f.name === member })[member];
}

function startOf(key: string): number {
  const ops = GENOPS[key] as GenOp[];
  return ops[0][0];
}

function compareWithGenops(key: string): void {
  const expected = GENOPS[key] as GenOp[];
  const bytes = bytesOf(key);
  const scan = scanPickle(bytes, startOf(key), { recordOps: true });
  const ops = scan.ops!;
  // Streams recorded from their middle (after joblib's inline data) end where genops ended.
  assert.equal(ops.length, expected.length, `${key}: ${ops.length} opcodes, genops found ${expected.length}`);
  expected.forEach(([offset, name, arg], i) => {
    assert.equal(ops[i].offset, offset, `${key}: opcode ${i} offset`);
    assert.equal(ops[i].name, name, `${key}: opcode ${i} at ${offset}`);
    if (arg !== null) assert.deepEqual(ops[i].arg, arg, `${key}: ${name} argument at ${offset}`);
  });
}

test('the disassembly matches pickletools.genops opcode by opcode, offsets and arguments', () => {
  const keys = Object.keys(GENOPS).filter((k) => Array.isArray(GENOPS[k]) && Array.isArray((GENOPS[k] as unknown[])[0]) && !k.includes('#after'));
  assert.ok(keys.length >= 10, `expected the recorded pickles, found ${keys.join(', ')}`);
  for (const key of keys) compareWithGenops(key);
});

test('every opcode of protocols 0-5 is known, and the fixture using each once scans to STOP', () => {
  const names = new Set((GENOPS['every-opcode.pkl'] as GenOp[]).map((op) => op[1]));
  assert.equal(names.size, OPCODE_COUNT, 'the fixture holds every opcode pickletools knows');
  const scan = scanPickle(fixture('every-opcode.pkl'));
  assert.equal(scan.problem, undefined, `no problem expected, got ${JSON.stringify(scan.problem)}`);
  assert.equal(scan.end, fixture('every-opcode.pkl').length, 'ends after STOP at the end of the file');
  assert.deepEqual(scan.unresolved.map((u) => u.opcode), ['EXT1', 'EXT2', 'EXT4'], 'extension codes are unresolvable statically');
  assert.deepEqual(new Set(scan.imports.map((i) => `${i.module}.${i.name}:${i.opcode}`)),
    new Set(['collections.OrderedDict:GLOBAL', 'collections.OrderedDict:STACK_GLOBAL', 'collections.OrderedDict:INST']), 'all three import opcodes resolved');
});

test('dangerous imports are found with the offset genops gives their opcode', () => {
  const cases: [string, string, string][] = [
    ['os-system-global.pkl', 'os.system', 'GLOBAL'],
    ['os-system-stack-global.pkl', 'os.system', 'STACK_GLOBAL'],
    // Protocol 2 names are resolved as CPython's _compat_pickle does: __builtin__.eval is builtins.eval.
    ['builtins-eval.pkl', 'builtins.eval', 'GLOBAL'],
    ['subprocess-popen.pkl', 'subprocess.Popen', 'STACK_GLOBAL'],
  ];
  for (const [file, callable, opcode] of cases) {
    const scan = scanPickle(fixture(file));
    const expectedOffset = (GENOPS[file] as GenOp[]).find((op) => op[1] === opcode)![0];
    const hit = scan.imports.find((i) => `${i.module}.${i.name}` === callable);
    assert.ok(hit, `${file}: ${callable} found among ${JSON.stringify(scan.imports)}`);
    assert.equal(hit.kind, 'dangerous', `${file}: ${callable} is dangerous`);
    assert.equal(hit.offset, expectedOffset, `${file}: offset of ${opcode}`);
    assert.equal(hit.opcode, opcode, `${file}: import opcode`);
  }
});

test('legacy torch files are a sequence of pickles at the offsets genops finds', () => {
  const bytes = fixture('state-dict-legacy.pth');
  const starts = GENOPS['state-dict-legacy.pth#starts'] as number[];
  let at = 0;
  for (const start of starts) {
    assert.equal(at, start, 'each stream starts where the previous STOP ended');
    const scan = scanPickle(bytes, at);
    assert.ok(scan.end !== undefined, `stream at ${at} reaches STOP`);
    assert.ok(scan.imports.every((i) => i.kind === 'ordinary'), `stream at ${at} imports only ordinary names: ${JSON.stringify(scan.imports.filter((i) => i.kind !== 'ordinary'))}`);
    at = scan.end!;
  }
});

test('joblib inline array data is stepped over, and what follows it is scanned', () => {
  const after = GENOPS['joblib-malicious.joblib#after-last-array'] as GenOp[];
  const stackGlobal = after.find((op) => op[1] === 'STACK_GLOBAL')![0];
  const scan = scanPickle(fixture('joblib-malicious.joblib'));
  assert.equal(scan.problem, undefined, `no problem expected: ${JSON.stringify(scan.problem)}`);
  assert.equal(scan.inlineArrays, 1, 'one inline array');
  const system = scan.imports.find((i) => i.name === 'system');
  assert.equal(system?.offset, stackGlobal, 'posix.system found after the array, at the offset genops gives');
  assert.equal(system?.kind, 'dangerous', 'posix.system is dangerous');
  const benign = scanPickle(fixture('joblib-benign.joblib'));
  assert.equal(benign.inlineArrays, 2, 'two inline arrays in the benign file');
  assert.equal(benign.end, fixture('joblib-benign.joblib').length, 'reaches the final STOP');
});

test('a truncated pickle is reported at the opcode that is cut, never thrown', () => {
  const length = GENOPS['truncated.pkl#length'] as number;
  const ops = GENOPS['plain-dict.pkl'] as GenOp[];
  // The cut opcode: the last one that starts before the end of the truncated file.
  const cut = ops.filter((op) => op[0] < length).at(-1)!;
  const scan = scanPickle(fixture('truncated.pkl'));
  assert.equal(scan.problem?.kind, 'truncated', `truncated expected: ${JSON.stringify(scan.problem)}`);
  assert.equal(scan.problem?.offset, cut[0], `cut at the ${cut[1]} at ${cut[0]}`);
});

test('every prefix of every fixture pickle is truncated or complete, never a crash', () => {
  for (const file of ['plain-dict.pkl', 'plain-dict-p0.pkl', 'every-opcode.pkl', 'subprocess-popen.pkl', 'joblib-malicious.joblib']) {
    const bytes = fixture(file);
    for (let n = 0; n < bytes.length; n++) {
      const scan = scanPickle(bytes.subarray(0, n));
      assert.ok(scan.problem !== undefined, `${file}[0:${n}] cannot be complete`);
      assert.ok(scan.problem.offset <= n, `${file}[0:${n}]: offset ${scan.problem.offset} within the data`);
    }
  }
});

test('arbitrary bytes never crash the scanner and offsets stay in bounds', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    const scan = scanPickle(bytes, 0, { recordOps: true });
    for (const op of scan.ops!) assert.ok(op.offset < bytes.length, 'opcode offset inside the data');
    assert.ok(scan.problem !== undefined || scan.end !== undefined, 'either complete or a problem');
  }), { numRuns: 2000 });
  // Opcode-rich input: random sequences of opcode bytes and small arguments.
  const opcodeBytes = [...'(c}])NILFSVUTXJKMGi.0a2eltdsuRbqhp\x93\x94\x95\x8c\x80\x81\x85\x86\x87'].map((c) => c.charCodeAt(0));
  fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(...opcodeBytes), fc.integer({ min: 0, max: 255 })), { maxLength: 200 }), (list) => {
    const scan = scanPickle(Uint8Array.from(list));
    assert.ok(scan.problem !== undefined || scan.end !== undefined, 'either complete or a problem');
  }), { numRuns: 2000 });
});

test('malformed streams name the problem and its offset', () => {
  const cases: [Uint8Array, string, number, RegExp][] = [
    [Buffer.from('R.', 'latin1'), 'malformed', 0, /REDUCE: needs a value but the stack is empty/],
    [Buffer.from('\x80\x02\xff', 'latin1'), 'malformed', 2, /0xff is not a pickle opcode/],
    [Buffer.from('\x80\x02K\x01u.', 'latin1'), 'malformed', 4, /SETITEMS: needs a MARK/],
    [Buffer.from('\x80\x02h\x07.', 'latin1'), 'malformed', 2, /memo key 7 was never stored/],
    [Buffer.from('\x80\x09N.', 'latin1'), 'malformed', 0, /protocol 9/],
    [Buffer.from('\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f', 'latin1'), 'truncated', 2, /declares \d+ bytes but 0 remain/],
    [Buffer.from('Ixyz\n.', 'latin1'), 'malformed', 0, /expected a decimal integer/],
  ];
  for (const [bytes, kind, offset, message] of cases) {
    const scan = scanPickle(bytes);
    assert.equal(scan.problem?.kind, kind, `${JSON.stringify(Buffer.from(bytes).toString('latin1'))}: ${JSON.stringify(scan.problem)}`);
    assert.equal(scan.problem?.offset, offset, `offset of ${JSON.stringify(scan.problem)}`);
    assert.match(scan.problem!.message, message);
  }
  const computed = scanPickle(Buffer.from('\x80\x04K\x01K\x02\x93.', 'latin1'));
  assert.equal(computed.unresolved[0]?.opcode, 'STACK_GLOBAL', 'a STACK_GLOBAL of non-strings is unresolved');
});

test('the byte cap stops scanning without calling the stream broken', () => {
  const bytes = fixture('plain-dict.pkl');
  const scan = scanPickle(bytes, 0, { maxBytes: 20 });
  assert.equal(scan.capped, true, 'capped');
  assert.equal(scan.problem, undefined, 'not a problem of the file');
  // Millions of one-byte pushes: stopped at the stack cap instead of holding them all.
  const pushes = Buffer.alloc(MAX_STACK_DEPTH + 16, 'N'.charCodeAt(0));
  const deep = scanPickle(pushes);
  assert.equal(deep.problem?.kind, 'unscannable', `stack cap: ${JSON.stringify(deep.problem)}`);
  assert.equal(deep.problem?.offset, MAX_STACK_DEPTH, 'stops at the opcode that passes the cap');
});

test('imports are classified: dangerous, ordinary tensor rebuilding, library, unknown', () => {
  const expected: [string, string, string][] = [
    ['os', 'system', 'dangerous'], ['posix', 'system', 'dangerous'], ['nt', 'system', 'dangerous'], ['os.path', 'join', 'dangerous'],
    ['subprocess', 'check_output', 'dangerous'], ['builtins', 'exec', 'dangerous'], ['__builtin__', 'getattr', 'dangerous'],
    ['builtins', '__import__', 'dangerous'], ['shutil', 'rmtree', 'dangerous'], ['socket', 'socket', 'dangerous'],
    ['runpy', 'run_path', 'dangerous'], ['webbrowser', 'open', 'dangerous'], ['marshal', 'loads', 'dangerous'],
    ['types', 'CodeType', 'dangerous'], ['pickle', 'loads', 'dangerous'], ['importlib', 'import_module', 'dangerous'],
    ['asyncio', 'create_subprocess_shell', 'dangerous'], ['sys', 'exit', 'dangerous'], ['pty', 'spawn', 'dangerous'],
    ['torch._utils', '_rebuild_tensor_v2', 'ordinary'], ['torch', 'FloatStorage', 'ordinary'], ['torch._utils', '_rebuild_parameter', 'ordinary'],
    ['collections', 'OrderedDict', 'ordinary'], ['numpy.core.multiarray', '_reconstruct', 'ordinary'], ['numpy', 'dtype', 'ordinary'],
    ['numpy', 'ndarray', 'ordinary'], ['_codecs', 'encode', 'ordinary'], ['builtins', 'set', 'ordinary'],
    ['sklearn.linear_model._logistic', 'LogisticRegression', 'informational'], ['joblib.numpy_pickle', 'NumpyArrayWrapper', 'ordinary'],
    ['mylib.models', 'CustomNet', 'unknown'], ['functools', 'partial', 'dangerous'],
    // Deny by default: dotted names through allowed modules, re-exports, and anything unlisted.
    ['numpy.random', '_pickle.pickle.loads', 'dangerous'], ['torch', 'serialization.os.system', 'dangerous'],
    ['collections', 'OrderedDict.__init__', 'unknown'], ['torch._utils', '_rebuild_tensor_v2.__globals__', 'unknown'],
    ['joblib.parallel', 'loads', 'dangerous'], ['numpy.lib', 'load', 'dangerous'], ['tarfile', 'bltn_open', 'dangerous'],
    ['pydoc', 'pipepager', 'dangerous'], ['cProfile', 'run', 'dangerous'], ['logging.config', 'dictConfig', 'dangerous'],
    ['uuid', '_get_command_stdout', 'dangerous'], ['ensurepip', '_run_pip', 'dangerous'], ['torch.utils.cpp_extension', 'load_inline', 'dangerous'],
    ['sklearn.datasets._rcv1', 'GzipFile', 'unknown'], ['sklearn.utils._joblib', 'Memory', 'unknown'], ['sklearn.utils', 'Bunch', 'informational'],
    ['numpy', 'size', 'unknown'], ['builtins', 'type', 'dangerous'], ['torch.nn.modules.linear', 'Linear', 'informational'],
  ];
  for (const [module, name, kind] of expected) assert.equal(classifyImport(module, name), kind, `${module}.${name}`);
  // Protocols 0-2 go through _compat_pickle first.
  assert.equal(classifyImport('cStringIO', 'open', 2), 'dangerous', 'cStringIO.open is io.open');
  assert.equal(classifyImport('__builtin__', 'set', 0), 'ordinary', '__builtin__.set is builtins.set');
  assert.equal(classifyImport('__builtin__', 'set', 3), 'unknown', 'protocol 3 pickles are not mapped');
});
