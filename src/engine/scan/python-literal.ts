/**
 * Python's ast.literal_eval for the values an NPY header holds: dicts (duplicate keys: the
 * last wins), lists, tuples, strings (single, double or triple quotes, r/b/u prefixes,
 * escapes, implicit concatenation), integers, floats, True/False/None, unary signs,
 * parentheses, comments and backslash line continuations. numpy reads the header this
 * way, so the scanner must too: a regex can be fooled by `'descr': '<f8', 'descr': 'O'`.
 */
export type PyValue =
  | { t: 'str'; v: string }
  | { t: 'bytes'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'const'; v: boolean | null }
  | { t: 'tuple'; items: PyValue[] }
  | { t: 'list'; items: PyValue[] }
  | { t: 'dict'; entries: [PyValue, PyValue][] };

export class LiteralError extends Error {}

/** Nesting accepted at most (numpy's headers nest a few levels). */
const MAX_DEPTH = 64;

export function literalEval(text: string): PyValue {
  const p = new Parser(text);
  const value = p.value(0);
  p.skip();
  if (p.pos < text.length) throw new LiteralError(`unexpected ${JSON.stringify(text.slice(p.pos, p.pos + 10))} at character ${p.pos}`);
  return value;
}

/** Equality of hashable literal keys, as dict keys compare (1 == True, 'a' != b'a'). */
export function sameKey(a: PyValue, b: PyValue): boolean {
  const num = (v: PyValue) => (v.t === 'int' ? Number(v.v) : v.t === 'float' ? v.v : v.t === 'const' && typeof v.v === 'boolean' ? Number(v.v) : undefined);
  const na = num(a);
  const nb = num(b);
  if (na !== undefined || nb !== undefined) return na === nb;
  if (a.t === 'str' || a.t === 'bytes') return a.t === b.t && a.v === (b as { v: string }).v;
  if (a.t === 'const') return b.t === 'const' && a.v === b.v;
  if (a.t === 'tuple' && b.t === 'tuple') return a.items.length === b.items.length && a.items.every((x, i) => sameKey(x, b.items[i]));
  return false;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  skip(): void {
    while (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') this.pos++;
      else if (c === '#') while (this.pos < this.s.length && this.s[this.pos] !== '\n') this.pos++;
      else if (c === '\\' && (this.s[this.pos + 1] === '\n' || (this.s[this.pos + 1] === '\r' && this.s[this.pos + 2] === '\n'))) this.pos += this.s[this.pos + 1] === '\n' ? 2 : 3;
      else break;
    }
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) throw new LiteralError('nested too deeply');
    this.skip();
    const c = this.s[this.pos];
    if (c === undefined) throw new LiteralError('unexpected end of text');
    if (c === '{') return this.dict(depth);
    if (c === '[') return { t: 'list', items: this.items(']', depth).items };
    if (c === '(') {
      const { items, trailingComma } = this.items(')', depth);
      // (x) is x; (x,) and () are tuples.
      return items.length === 1 && !trailingComma ? items[0] : { t: 'tuple', items };
    }
    if (c === '+' || c === '-') {
      this.pos++;
      const v = this.value(depth + 1);
      if (v.t === 'int') return { t: 'int', v: c === '-' ? -v.v : v.v };
      if (v.t === 'float') return { t: 'float', v: c === '-' ? -v.v : v.v };
      throw new LiteralError('a sign before a non-number');
    }
    const str = this.strings();
    if (str) return str;
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.pos, this.pos + 64))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.pos += word.length;
      return { t: 'const', v: word === 'None' ? null : word === 'True' };
    }
    return this.number();
  }

  private items(close: string, depth: number): { items: PyValue[]; trailingComma: boolean } {
    this.pos++;
    const items: PyValue[] = [];
    let trailingComma = false;
    for (;;) {
      this.skip();
      if (this.s[this.pos] === close) { this.pos++; return { items, trailingComma }; }
      items.push(this.value(depth + 1));
      this.skip();
      trailingComma = false;
      if (this.s[this.pos] === ',') { this.pos++; trailingComma = true; continue; }
      if (this.s[this.pos] === close) { this.pos++; return { items, trailingComma }; }
      throw new LiteralError(`expected "," or "${close}" at character ${this.pos}`);
    }
  }

  private dict(depth: number): PyValue {
    this.pos++;
    const entries: [PyValue, PyValue][] = [];
    for (;;) {
      this.skip();
      if (this.s[this.pos] === '}') { this.pos++; break; }
      const key = this.value(depth + 1);
      if (key.t === 'list' || key.t === 'dict') throw new LiteralError('unhashable dict key');
      this.skip();
      if (this.s[this.pos] !== ':') throw new LiteralError(`expected ":" at character ${this.pos}`);
      this.pos++;
      const value = this.value(depth + 1);
      const i = entries.findIndex(([k]) => sameKey(k, key));
      // A repeated key keeps its first position and takes the last value, as a Python dict does.
      if (i >= 0) entries[i][1] = value;
      else entries.push([key, value]);
      this.skip();
      if (this.s[this.pos] === ',') { this.pos++; continue; }
      if (this.s[this.pos] === '}') { this.pos++; break; }
      throw new LiteralError(`expected "," or "}" at character ${this.pos}`);
    }
    return { t: 'dict', entries };
  }

  /** One or more adjacent string literals, concatenated; str and bytes do not mix. */
  private strings(): PyValue | undefined {
    let out: PyValue | undefined;
    for (;;) {
      const save = this.pos;
      this.skip();
      const m = /^([rRbBuU]{0,2})(['"])/.exec(this.s.slice(this.pos, this.pos + 3));
      if (!m || !/^(|[rR]|[bB]|[uU]|[rR][bB]|[bB][rR])$/.test(m[1])) {
        this.pos = save;
        return out;
      }
      const prefix = m[1].toLowerCase();
      this.pos += m[1].length;
      const piece = this.literal(prefix.includes('r'));
      const kind = prefix.includes('b') ? 'bytes' : 'str';
      if (out && out.t !== kind) throw new LiteralError('cannot mix bytes and nonbytes literals');
      out = { t: kind, v: (out ? (out as { v: string }).v : '') + piece };
    }
  }

  private literal(raw: boolean): string {
    const q = this.s[this.pos];
    const triple = this.s.startsWith(q.repeat(3), this.pos);
    const quote = triple ? q.repeat(3) : q;
    this.pos += quote.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.s.length) throw new LiteralError('unterminated string');
      if (this.s.startsWith(quote, this.pos)) { this.pos += quote.length; return out; }
      const c = this.s[this.pos];
      if (c === '\n' && !triple) throw new LiteralError('newline in a string');
      if (c !== '\\') { out += c; this.pos++; continue; }
      const e = this.s[this.pos + 1];
      if (e === undefined) throw new LiteralError('unterminated string');
      if (raw) { out += c + e; this.pos += 2; continue; }
      this.pos += 2;
      const simple: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
      if (e in simple) { out += simple[e]; continue; }
      if (e >= '0' && e <= '7') {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(this.s[this.pos] ?? '')) digits += this.s[this.pos++];
        out += String.fromCharCode(parseInt(digits, 8));
        continue;
      }
      const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (width) {
        const hex = this.s.slice(this.pos, this.pos + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new LiteralError(`truncated \\${e} escape`);
        out += String.fromCodePoint(parseInt(hex, 16));
        this.pos += width;
        continue;
      }
      if (e === 'N') throw new LiteralError('\\N{...} escapes are not supported');
      out += c + e;
    }
  }

  private number(): PyValue {
    const rest = this.s.slice(this.pos, this.pos + 400);
    const int = /^(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?\d)*|0(?:_?0)*)(?![\w.])/.exec(rest);
    if (int) {
      this.pos += int[0].length;
      return { t: 'int', v: BigInt(int[0].replace(/_/g, '')) };
    }
    const float = /^((?:\d(?:_?\d)*)?\.?(?:\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?)(?![\w.])/.exec(rest);
    if (float && /\d/.test(float[0])) {
      this.pos += float[0].length;
      return { t: 'float', v: Number(float[0].replace(/_/g, '')) };
    }
    throw new LiteralError(`unexpected ${JSON.stringify(rest.slice(0, 10))} at character ${this.pos}`);
  }
}
