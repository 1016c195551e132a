/**
 * An NPY header read as numpy reads it: the dict after the magic is parsed with Python's
 * literal_eval semantics (python-literal.ts), must have exactly the keys descr,
 * fortran_order and shape, and its descr decides whether the array holds Python objects,
 * whose data numpy unpickles ('O', 'object', '|O8', structured dtypes with an object field,
 * 'i4,O' comma strings, subarrays of objects).
 */
import { hasNpyMagic, readNpyPreamble } from '../artifacts/datasets/npy';
import { LiteralError, literalEval, type PyValue } from './python-literal';

export function isNpy(head: Uint8Array): boolean {
  return hasNpyMagic(head);
}

export type NpyHeader =
  | { ok: true; descr: string; objectDtype: boolean; dataStart: number }
  /** `unverified`: numpy may read it, but the scanner cannot tell what it holds. */
  | { ok: false; message: string; unverified?: boolean };

type Dtype = 'object' | 'plain' | 'unknown';

const OBJECT_CODES = /^[|<>=]?(O\d*|object_?|object0)$/;
const PLAIN_CODES = /^[|<>=]?([?bBhHiIlLqQpPefdgFDGc]|[biufcSUVa]\d*|[mM]8?(\[\d*\w+\])?|b1|float\d*|u?int\d*|complex\d*|bool_?|str_?|bytes_?|unicode_?|void\d*|half|single|double|longdouble|longlong|ulonglong|byte|ubyte|short|ushort|intc|uintc|intp|uintp|datetime64(\[\d*\w+\])?|timedelta64(\[\d*\w+\])?)$/;

export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  const preamble = readNpyPreamble(bytes);
  switch (preamble.kind) {
    case 'not-npy':
      return { ok: false, message: 'does not start with \\x93NUMPY' };
    case 'unsupported-version':
      return { ok: false, message: `unsupported NPY format version ${preamble.major}` };
    case 'truncated':
      return { ok: false, message: `truncated NPY header: it declares ${preamble.headerLength} bytes but ${bytes.length - preamble.headerStart} remain` };
  }
  const { header, dataStart } = preamble;
  let dict: PyValue;
  try {
    dict = literalEval(header);
  } catch (e) {
    if (!(e instanceof LiteralError)) throw e;
    return { ok: false, unverified: true, message: `NPY header is not a Python literal the scanner can read (${e.message}): ${JSON.stringify(header.trim().slice(0, 80))}` };
  }
  if (dict.t !== 'dict') return { ok: false, message: `malformed NPY header: not a dict: ${JSON.stringify(header.trim().slice(0, 80))}` };
  const keys = dict.entries.map(([k]) => (k.t === 'str' ? k.v : '?')).sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    return { ok: false, message: `malformed NPY header: numpy requires exactly the keys descr, fortran_order and shape, found ${JSON.stringify(keys)}` };
  }
  const descr = dict.entries.find(([k]) => k.t === 'str' && k.v === 'descr')![1];
  const kind = dtypeKind(descr, 0);
  const shown = show(descr);
  if (kind === 'unknown') return { ok: false, unverified: true, message: `NPY descr ${shown} is a dtype the scanner does not model, so whether numpy would unpickle the data is not known` };
  return { ok: true, descr: shown, objectDtype: kind === 'object', dataStart };
}

/** numpy's descr_to_dtype, reduced to: does the dtype hold objects? */
function dtypeKind(d: PyValue, depth: number): Dtype {
  if (depth > 32) return 'unknown';
  if (d.t === 'str' || d.t === 'bytes') {
    const parts = d.v.split(',').map((p) => p.trim().replace(/^\(\d+(,\d*)*\)/, ''));
    if (parts.some((p) => OBJECT_CODES.test(p))) return 'object';
    return parts.every((p) => PLAIN_CODES.test(p)) ? 'plain' : 'unknown';
  }
  if (d.t === 'tuple') return d.items.length === 2 ? dtypeKind(d.items[0], depth + 1) : 'unknown';
  if (d.t === 'list') {
    let kind: Dtype = 'plain';
    for (const field of d.items) {
      if ((field.t !== 'tuple' && field.t !== 'list') || field.items.length < 2 || field.items.length > 3) return 'unknown';
      const k = dtypeKind(field.items[1], depth + 1);
      if (k === 'object') return 'object';
      if (k === 'unknown') kind = 'unknown';
    }
    return kind;
  }
  return 'unknown';
}

function show(v: PyValue): string {
  switch (v.t) {
    case 'str': case 'bytes': return `'${v.v}'`;
    case 'int': return String(v.v);
    case 'float': return String(v.v);
    case 'const': return v.v === null ? 'None' : v.v ? 'True' : 'False';
    case 'tuple': return `(${v.items.map(show).join(', ')}${v.items.length === 1 ? ',' : ''})`;
    case 'list': return `[${v.items.map(show).join(', ')}]`;
    case 'dict': return `{${v.entries.map(([k, x]) => `${show(k)}: ${show(x)}`).join(', ')}}`;
  }
}
