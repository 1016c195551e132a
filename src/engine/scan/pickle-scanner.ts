/**
 * A static pickle disassembler: walks the opcodes of one pickle stream (protocols 0-5)
 * and follows the stack and memo symbolically, only as far as needed to know what the
 * pickle imports. Nothing is ever unpickled or called. GLOBAL and INST name their import
 * in the opcode; STACK_GLOBAL takes module and name from the stack, where they may come
 * from string opcodes or from the memo (BINPUT/MEMOIZE then BINGET), so the memo is kept.
 */
import { resolveImport, type ImportKind } from './import-policy';
import { MalformedPickle, readArgument, ScanLimit, TruncatedPickle, type ArgValue } from './pickle-arguments';
import { HIGHEST_PROTOCOL, OPCODES } from './pickle-opcodes';

/** Bytes of one pickle stream scanned at most; a longer stream is reported as partly scanned. */
export const MAX_PICKLE_SCAN_BYTES = 256 * 1024 * 1024;
/** Items kept per symbolic list, tuple or dict (enough for joblib's array descriptions). */
const MAX_KEPT_ITEMS = 64;
/**
 * Stack depth and memo entries followed at most. Python's pickler batches containers by
 * 1000 items, so its stacks stay shallow, and a state_dict of thousands of tensors
 * memoises some 10^5 values; a stream of one-byte pushes or MEMOIZEs could otherwise
 * make the scanner hold hundreds of millions of entries.
 */
export const MAX_STACK_DEPTH = 1 << 20;
export const MAX_MEMO_ENTRIES = 1 << 22;

export interface PickleImport {
  /** As CPython resolves them (after _compat_pickle for protocols 0-2). */
  module: string;
  name: string;
  /** As written in the pickle, when _compat_pickle changed them. */
  written?: { module: string; name: string };
  /** Byte offset of the opcode that imports, in the buffer given to scanPickle. */
  offset: number;
  opcode: 'GLOBAL' | 'STACK_GLOBAL' | 'INST';
  kind: ImportKind;
}

/** An import whose target is only known at load time (computed module name, copyreg extension code). */
export interface UnresolvedImport {
  offset: number;
  opcode: string;
  /** The copyreg extension code, for EXT1/EXT2/EXT4. */
  code?: number;
  /** The imported object a BUILD modifies. */
  target?: string;
  reason: string;
}

export interface PickleProblem {
  offset: number;
  kind: 'truncated' | 'malformed' | 'unscannable';
  message: string;
}

export interface PickleOp {
  offset: number;
  name: string;
  arg: string | number | boolean | null;
}

export interface PickleScan {
  imports: PickleImport[];
  unresolved: UnresolvedImport[];
  /** From the PROTO opcode; 0 or 1 when there is none. */
  protocol?: number;
  opcodes: number;
  /** Offset just after STOP, when the stream was complete. */
  end?: number;
  problem?: PickleProblem;
  /** Scanning stopped at maxBytes before the stream ended. */
  capped: boolean;
  /** joblib arrays whose data sat inline in the stream and was stepped over. */
  inlineArrays: number;
  /** Every opcode with its offset, when asked for (tests compare it with pickletools.genops). */
  ops?: PickleOp[];
}

export interface ScanPickleOptions {
  maxBytes?: number;
  recordOps?: boolean;
}

type Value =
  | { k: 'str'; v: string }
  | { k: 'num'; v: number | bigint }
  | { k: 'const'; v: boolean | null }
  | { k: 'seq'; items: Value[] }
  /** `cut`: entries past MAX_KEPT_ITEMS were dropped, so a key's value may be unknown. */
  | { k: 'dict'; entries: [Value, Value][]; cut?: boolean }
  | { k: 'global'; module: string; name: string }
  | { k: 'obj'; cls: Value; args: Value; state?: Value }
  | { k: 'other' };

const MARK = Symbol('mark');
type Slot = Value | typeof MARK;
const OTHER: Value = { k: 'other' };

class StackProblem extends Error {}

/** Scans the pickle that starts at `start`; offsets in the result are positions in `bytes`. */
export function scanPickle(bytes: Uint8Array, start = 0, options: ScanPickleOptions = {}): PickleScan {
  const maxBytes = options.maxBytes ?? MAX_PICKLE_SCAN_BYTES;
  const end = Math.min(bytes.length, start + maxBytes);
  const capped = end < bytes.length;
  const result: PickleScan = { imports: [], unresolved: [], opcodes: 0, capped: false, inlineArrays: 0 };
  if (options.recordOps) result.ops = [];
  const stack: Slot[] = [];
  // Keys as decimal text: PUT/GET keys are Python ints of any size, never rounded.
  const memo = new Map<string, Value>();
  // CPython's unpickler starts at protocol 0; PROTO may change it anywhere in the stream.
  let proto = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const pop = (): Value => {
    const v = stack.pop();
    if (v === undefined) throw new StackProblem('needs a value but the stack is empty');
    if (v === MARK) throw new StackProblem('needs a value but found a MARK');
    return v;
  };
  const top = (): Value => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new StackProblem('needs a value on top of the stack');
    return v;
  };
  const popMark = (): Value[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new StackProblem('needs a MARK but there is none');
    const items = stack.splice(i) as Slot[];
    return items.slice(1) as Value[];
  };
  const addImport = (module: string, name: string, offset: number, opcode: PickleImport['opcode']) => {
    const r = resolveImport(module, name, proto);
    const changed = r.module !== module || r.name !== name;
    result.imports.push({ module: r.module, name: r.name, offset, opcode, kind: r.kind, ...(changed ? { written: { module, name } } : {}) });
    return { k: 'global', module: r.module, name: r.name } as Value;
  };

  let pos = start;
  while (true) {
    const offset = pos;
    if (pos >= end) {
      if (capped) result.capped = true;
      else result.problem = { offset, kind: 'truncated', message: 'the pickle ends without a STOP opcode (truncated)' };
      return result;
    }
    const info = OPCODES[bytes[pos]];
    if (!info) {
      result.problem = { offset, kind: 'malformed', message: `byte 0x${bytes[pos].toString(16).padStart(2, '0')} is not a pickle opcode` };
      return result;
    }
    let arg: ArgValue;
    try {
      const read = readArgument(bytes, view, pos + 1, end, info.arg, info.name);
      arg = read.value;
      pos = read.next;
    } catch (e) {
      if (e instanceof TruncatedPickle && capped) {
        result.capped = true;
        return result;
      }
      if (e instanceof ScanLimit) {
        result.problem = { offset, kind: 'unscannable', message: `${info.name}: ${e.message}` };
        return result;
      }
      if (e instanceof TruncatedPickle || e instanceof MalformedPickle) {
        result.problem = { offset, kind: e instanceof TruncatedPickle ? 'truncated' : 'malformed', message: `${info.name}: ${e.message}` };
        return result;
      }
      throw e;
    }
    result.opcodes++;
    result.ops?.push({ offset, name: info.name, arg: opArg(arg) });

    try {
      switch (info.name) {
        case 'PROTO': {
          const p = Number((arg as { value: number }).value);
          result.protocol = p;
          proto = p;
          if (p > HIGHEST_PROTOCOL) throw new StackProblem(`protocol ${p} is newer than the highest known (${HIGHEST_PROTOCOL})`);
          break;
        }
        case 'FRAME':
          // Frames only group opcodes for buffered reading; the opcodes inside are read as usual.
          break;
        case 'PUT': case 'BINPUT': case 'LONG_BINPUT': {
          const key = (arg as { value: number | bigint }).value;
          if (key < 0) throw new StackProblem('negative PUT argument');
          memo.set(String(key), top());
          break;
        }
        case 'MEMOIZE':
          // CPython stores at len(memo), which may overwrite a key PUT wrote.
          memo.set(String(memo.size), top());
          break;
        case 'GET': case 'BINGET': case 'LONG_BINGET': {
          const key = String((arg as { value: number | bigint }).value);
          const v = memo.get(key);
          if (v === undefined) throw new StackProblem(`memo key ${key} was never stored`);
          stack.push(v);
          break;
        }
        case 'STOP':
          pop();
          result.end = pos;
          return result;
        case 'INT': case 'BININT': case 'BININT1': case 'BININT2': case 'LONG': case 'LONG1': case 'LONG4':
          stack.push(arg.type === 'bool' ? { k: 'const', v: arg.value } : { k: 'num', v: (arg as { value: number | bigint }).value });
          break;
        case 'STRING': case 'BINSTRING': case 'SHORT_BINSTRING': case 'UNICODE': case 'SHORT_BINUNICODE': case 'BINUNICODE': case 'BINUNICODE8':
          stack.push({ k: 'str', v: (arg as { value: string }).value });
          break;
        case 'NONE': stack.push({ k: 'const', v: null }); break;
        case 'NEWTRUE': stack.push({ k: 'const', v: true }); break;
        case 'NEWFALSE': stack.push({ k: 'const', v: false }); break;
        case 'BINBYTES': case 'SHORT_BINBYTES': case 'BINBYTES8': case 'BYTEARRAY8': case 'NEXT_BUFFER':
        case 'FLOAT': case 'BINFLOAT': case 'EMPTY_SET': case 'PERSID':
          stack.push(OTHER);
          break;
        case 'READONLY_BUFFER': case 'BINPERSID':
          pop();
          stack.push(OTHER);
          break;
        case 'EMPTY_LIST': case 'EMPTY_TUPLE': stack.push({ k: 'seq', items: [] }); break;
        case 'EMPTY_DICT': stack.push({ k: 'dict', entries: [] }); break;
        case 'APPEND': {
          const item = pop();
          addItems(top(), [item]);
          break;
        }
        case 'APPENDS': case 'ADDITEMS': {
          const items = popMark();
          addItems(top(), items);
          break;
        }
        case 'LIST': case 'TUPLE': case 'FROZENSET':
          stack.push({ k: 'seq', items: popMark().slice(0, MAX_KEPT_ITEMS) });
          break;
        case 'TUPLE1': case 'TUPLE2': case 'TUPLE3': {
          const n = info.name === 'TUPLE1' ? 1 : info.name === 'TUPLE2' ? 2 : 3;
          const items: Value[] = [];
          for (let i = 0; i < n; i++) items.unshift(pop());
          stack.push({ k: 'seq', items });
          break;
        }
        case 'DICT': {
          const dict: Value = { k: 'dict', entries: [] };
          addEntries(dict, pairs(popMark()));
          stack.push(dict);
          break;
        }
        case 'SETITEM': {
          const value = pop();
          const key = pop();
          addEntries(top(), [[key, value]]);
          break;
        }
        case 'SETITEMS': {
          const entries = pairs(popMark());
          addEntries(top(), entries);
          break;
        }
        case 'POP': {
          // POP also discards a MARK (pickle's load_pop does).
          if (stack.length === 0) throw new StackProblem('needs a value but the stack is empty');
          stack.pop();
          break;
        }
        case 'DUP':
          stack.push(top());
          break;
        case 'MARK':
          stack.push(MARK);
          break;
        case 'POP_MARK':
          popMark();
          break;
        case 'EXT1': case 'EXT2': case 'EXT4':
          result.unresolved.push({ offset, opcode: info.name, code: Number((arg as { value: number }).value), reason: `copyreg extension code ${(arg as { value: number }).value}: the callable is looked up in copyreg's registry at load time` });
          stack.push(OTHER);
          break;
        case 'GLOBAL': case 'INST': {
          const { first, second } = arg as { first: string; second: string };
          const cls = addImport(first, second, offset, info.name);
          if (info.name === 'INST') stack.push({ k: 'obj', cls, args: { k: 'seq', items: popMark().slice(0, MAX_KEPT_ITEMS) } });
          else stack.push(cls);
          break;
        }
        case 'STACK_GLOBAL': {
          const name = pop();
          const module = pop();
          if (module.k === 'str' && name.k === 'str') {
            stack.push(addImport(module.v, name.v, offset, 'STACK_GLOBAL'));
          } else {
            result.unresolved.push({ offset, opcode: 'STACK_GLOBAL', reason: 'module or name is computed at load time, not a string in the pickle' });
            stack.push(OTHER);
          }
          break;
        }
        case 'REDUCE': case 'NEWOBJ': {
          const args = pop();
          const cls = pop();
          stack.push({ k: 'obj', cls, args });
          break;
        }
        case 'NEWOBJ_EX': {
          pop();
          const args = pop();
          const cls = pop();
          stack.push({ k: 'obj', cls, args });
          break;
        }
        case 'OBJ': {
          const items = popMark();
          const [cls, ...rest] = items;
          if (cls === undefined) throw new StackProblem('OBJ needs a class after the MARK');
          stack.push({ k: 'obj', cls, args: { k: 'seq', items: rest.slice(0, MAX_KEPT_ITEMS) } });
          break;
        }
        case 'BUILD': {
          const state = pop();
          const obj = top();
          if (obj.k === 'obj') obj.state = state;
          // BUILD on an imported class or function (not an instance) sets attributes on it for the
          // whole process: a way to plant values that later imports read (modelscan issue 85).
          if (obj.k === 'global') result.unresolved.push({ offset, opcode: 'BUILD', target: `${obj.module}.${obj.name}`, reason: `sets attributes on the imported ${obj.module}.${obj.name} itself, not on an object it built` });
          const inline = isJoblibArrayWrapper(obj) ? joblibArrayLength(obj, pos) : undefined;
          if (inline !== undefined) pos = skipInlineArray(inline, bytes, pos, end, result);
          break;
        }
        default:
          throw new Error(`opcode ${info.name} has no stack rule`);
      }
      if (stack.length > MAX_STACK_DEPTH || memo.size > MAX_MEMO_ENTRIES) {
        result.problem = { offset, kind: 'unscannable', message: `the stack grows past ${MAX_STACK_DEPTH} or the memo past ${MAX_MEMO_ENTRIES} entries, more than any model pickle needs; scanning stopped here` };
        return result;
      }
    } catch (e) {
      if (e instanceof StackProblem) {
        result.problem = { offset, kind: 'malformed', message: `${info.name}: ${e.message}` };
        return result;
      }
      if (e instanceof InlineProblem) {
        result.problem = e.problem;
        return result;
      }
      throw e;
    }
  }
}

function opArg(arg: ArgValue): PickleOp['arg'] {
  switch (arg.type) {
    case 'none': return null;
    case 'int': return typeof arg.value === 'bigint' ? arg.value.toString() : arg.value;
    case 'bool': return arg.value;
    case 'float': return arg.value;
    case 'str': return arg.value;
    case 'bytes': return null;
    case 'pair': return `${arg.first} ${arg.second}`;
  }
}

function addItems(target: Value, items: Value[]): void {
  if (target.k === 'seq') target.items.push(...items.slice(0, Math.max(0, MAX_KEPT_ITEMS - target.items.length)));
}

/** As a Python dict: a repeated string key keeps its place and takes the last value. */
function addEntries(target: Value, entries: [Value, Value][]): void {
  if (target.k !== 'dict') return;
  for (const [key, value] of entries) {
    const i = key.k === 'str' ? target.entries.findIndex(([k]) => k.k === 'str' && k.v === key.v) : -1;
    if (i >= 0) target.entries[i] = [target.entries[i][0], value];
    else if (target.entries.length < MAX_KEPT_ITEMS) target.entries.push([key, value]);
    else target.cut = true;
  }
}

function pairs(items: Value[]): [Value, Value][] {
  if (items.length % 2 !== 0) throw new StackProblem(`needs key/value pairs but found ${items.length} items`);
  const out: [Value, Value][] = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i], items[i + 1]]);
  return out;
}

// --- joblib: array data written into the stream right after each NumpyArrayWrapper -----

class InlineProblem extends Error {
  constructor(readonly problem: PickleProblem) {
    super(problem.message);
  }
}

interface InlineArray {
  /** Raw bytes of the array, or 'pickle' for an object array (pickled inline). */
  size: number | 'pickle';
  aligned: boolean;
}

function isJoblibArrayWrapper(obj: Value): obj is Extract<Value, { k: 'obj' }> {
  return obj.k === 'obj' && obj.cls.k === 'global' && obj.cls.name === 'NumpyArrayWrapper' && /(^|\.)joblib\.numpy_pickle$/.test(obj.cls.module);
}

/** Byte length of the array a NumpyArrayWrapper announces, from its state dict; undefined when not knowable. */
function joblibArrayLength(obj: Extract<Value, { k: 'obj' }>, pos: number): InlineArray | undefined {
  const state = obj.state;
  const fail = (why: string): never => {
    throw new InlineProblem({ offset: pos, kind: 'unscannable', message: `joblib array data follows but its size cannot be known statically (${why}); scanning stopped here` });
  };
  if (!state || state.k !== 'dict') return fail('no state dict');
  if (state.cut) return fail(`the state dict has more than ${MAX_KEPT_ITEMS} entries`);
  const get = (key: string) => state.entries.find(([k]) => k.k === 'str' && k.v === key)?.[1];
  const shape = get('shape');
  const dtype = get('dtype');
  if (!shape || shape.k !== 'seq' || !shape.items.every((v) => v.k === 'num')) return fail('shape is not a tuple of integers');
  const code = dtypeCode(dtype);
  if (code === undefined) return fail('dtype is not a numpy.dtype of a string code');
  // joblib reads padding only when the attribute is set to a number, and never before an object array.
  const alignment = get('numpy_array_alignment_bytes');
  const aligned = alignment !== undefined && alignment.k === 'num';
  if (alignment !== undefined && alignment.k !== 'num' && !(alignment.k === 'const' && alignment.v === null)) return fail('numpy_array_alignment_bytes is neither a number nor None');
  if (/^[|<>=]?O/.test(code)) return { size: 'pickle', aligned: false };
  // A void (structured) dtype may hold object fields, which joblib unpickles rather than reads raw.
  if (/^[|<>=]?V/.test(code)) {
    const kind = structuredKind(dtype!, 0);
    if (kind === undefined) return fail(`dtype "${code}" is structured and its fields cannot all be read statically`);
    if (kind === 'object') return { size: 'pickle', aligned: false };
  }
  const itemSize = dtypeItemSize(code);
  if (itemSize === undefined) return fail(`dtype "${code}" has no known item size`);
  let count = 1;
  for (const v of shape.items) count *= Number((v as { v: number }).v);
  const size = count * itemSize;
  if (!Number.isSafeInteger(size)) return fail('the array size overflows');
  return { size, aligned };
}

function skipInlineArray(inline: InlineArray, bytes: Uint8Array, pos: number, end: number, result: PickleScan): number {
  let at = pos;
  if (inline.aligned) {
    // joblib >= 1.2: one byte giving the padding length, then that many padding bytes.
    if (at >= end) throw new InlineProblem({ offset: at, kind: 'truncated', message: 'joblib array padding is missing (truncated)' });
    const padding = bytes[at];
    if (at + 1 + padding > end) throw new InlineProblem({ offset: at, kind: 'truncated', message: `joblib array padding needs ${padding} bytes but ${end - at - 1} remain (truncated)` });
    at += 1 + padding;
  }
  result.inlineArrays++;
  if (inline.size === 'pickle') {
    // An object array is itself pickled into the stream: scan it too.
    const nested = scanPickle(bytes, at, { maxBytes: end - at, recordOps: false });
    result.imports.push(...nested.imports);
    result.unresolved.push(...nested.unresolved);
    result.opcodes += nested.opcodes;
    if (nested.problem || nested.end === undefined) {
      throw new InlineProblem(nested.problem ?? { offset: at, kind: 'truncated', message: 'the object array pickled inside the joblib stream is cut off' });
    }
    return nested.end;
  }
  if (at + inline.size > end) {
    throw new InlineProblem({ offset: at, kind: 'truncated', message: `joblib array data needs ${inline.size} bytes but ${end - at} remain (truncated)` });
  }
  return at + inline.size;
}

function dtypeCode(dtype: Value | undefined): string | undefined {
  if (!dtype) return undefined;
  if (dtype.k === 'str') return dtype.v;
  if (dtype.k === 'obj' && dtype.cls.k === 'global' && dtype.cls.name === 'dtype' && dtype.args.k === 'seq') {
    const first = dtype.args.items[0];
    if (first?.k !== 'str') return undefined;
    // The BUILD state (version, byteorder, ...) carries the byte order.
    const order = dtype.state?.k === 'seq' && dtype.state.items[1]?.k === 'str' ? (dtype.state.items[1] as { v: string }).v : '';
    return /^[<>|=]/.test(first.v) ? first.v : `${order}${first.v}`;
  }
  return undefined;
}

/**
 * Whether a structured numpy.dtype (rebuilt by REDUCE, then BUILD with numpy's 8-item state
 * (version, byteorder, subarray, names, fields, itemsize, alignment, flags)) holds objects:
 * from the flags' NPY_ITEM_REFCOUNT bit and each field's dtype. Undefined when unknowable.
 */
function structuredKind(dtype: Value, depth: number): 'plain' | 'object' | undefined {
  if (depth > 16 || dtype.k !== 'obj' || dtype.state?.k !== 'seq' || dtype.state.items.length !== 8) return undefined;
  const [, , subarray, , fields, , , flags] = dtype.state.items;
  if (!(subarray.k === 'const' && subarray.v === null) || fields.k !== 'dict' || fields.entries.length >= MAX_KEPT_ITEMS) return undefined;
  if (flags.k !== 'num') return undefined;
  if (Number(flags.v) & 1) return 'object';
  for (const [, field] of fields.entries) {
    if (field.k !== 'seq' || field.items.length < 2) return undefined;
    const fieldDtype = field.items[0];
    const code = dtypeCode(fieldDtype);
    if (code === undefined) return undefined;
    if (/^[|<>=]?O/.test(code)) return 'object';
    if (/^[|<>=]?V/.test(code)) {
      const inner = structuredKind(fieldDtype, depth + 1);
      if (inner !== 'plain') return inner;
    } else if (dtypeItemSize(code) === undefined) {
      return undefined;
    }
  }
  return 'plain';
}

const NAMED_SIZES: Record<string, number> = { b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 8, L: 8, q: 8, Q: 8, e: 2, f: 4, d: 8, g: 16, F: 8, D: 16, G: 32, '?': 1 };

function dtypeItemSize(code: string): number | undefined {
  const m = /^[<>|=]?([a-zA-Z?])(\d*)$/.exec(code);
  if (!m) return undefined;
  const [, kind, digits] = m;
  if (digits === '') return NAMED_SIZES[kind];
  const n = Number(digits);
  if (kind === 'U') return 4 * n;
  if ('biufcSVmM'.includes(kind)) return n;
  return undefined;
}
