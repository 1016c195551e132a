/**
 * A minimal WebAssembly binary writer: just enough to emit the stacked trainer's SIMD
 * kernels (simd-kernels.ts) at run time, without a compiler toolchain or a binary in
 * the repository. Instructions are byte arrays; a module is a list of functions over
 * one exported memory.
 *
 * Encoding reference: WebAssembly Core Specification 2.0, section 5 (binary format),
 * with the fixed-width SIMD proposal's opcodes (prefix 0xFD).
 */

export type ValueType = 'i32' | 'f32' | 'v128';

const TYPE_CODE: Record<ValueType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function f32Bytes(v: number): number[] {
  return Array.from(new Uint8Array(new Float32Array([v]).buffer));
}

const simd = (op: number, ...rest: number[]): number[] => [0xfd, ...uleb(op), ...rest];

/** Instructions. Memory offsets are in bytes; alignment hints are log2 of the access size. */
export const op = {
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  localTee: (i: number) => [0x22, ...uleb(i)],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  f32Const: (v: number) => [0x43, ...f32Bytes(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32LtU: [0x49],
  i32GeU: [0x4f],
  i32Eqz: [0x45],
  f32Load: (offset = 0) => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset = 0) => [0x38, 2, ...uleb(offset)],
  f32Add: [0x92],
  f32Mul: [0x94],
  block: [0x02, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  loop: [0x03, 0x40],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  end: [0x0b],
  v128Load: (offset = 0) => simd(0x00, 4, ...uleb(offset)),
  v128Load32Splat: (offset = 0) => simd(0x09, 2, ...uleb(offset)),
  v128Store: (offset = 0) => simd(0x0b, 4, ...uleb(offset)),
  v128Zero: simd(0x0c, ...new Array<number>(16).fill(0)),
  f32x4Splat: simd(0x13),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  f32x4Sqrt: simd(0xe3),
  f32x4Gt: simd(0x44),
  f32x4Pmax: simd(0xeb),
  v128And: simd(0x4e),
  /** Relaxed SIMD (Wasm 3.0): a*b + c, fused where the CPU has FMA. */
  f32x4RelaxedMadd: simd(0x105),
};

export interface FunctionSpec {
  name: string;
  params: ValueType[];
  /** Extra locals by type, numbered after the params in the order i32, f32, v128. */
  locals: Partial<Record<ValueType, number>>;
  body: number[];
}

/** Local indices of a function: params first, then i32, f32 and v128 locals. */
export class Locals {
  private next: number;
  private readonly counts: Record<ValueType, number> = { i32: 0, f32: 0, v128: 0 };
  private readonly pending: { type: ValueType; resolve: (n: number) => void }[] = [];

  constructor(readonly params: ValueType[]) {
    this.next = params.length;
  }

  /** Declares a local; its index is fixed by finish(), which groups locals by type. */
  add(type: ValueType): { index: number } {
    const ref = { index: -1 };
    this.counts[type]++;
    this.pending.push({ type, resolve: (n) => (ref.index = n) });
    return ref;
  }

  finish(): Partial<Record<ValueType, number>> {
    for (const type of ['i32', 'f32', 'v128'] as const) {
      for (const p of this.pending) if (p.type === type) p.resolve(this.next++);
    }
    return { ...this.counts };
  }
}

export function buildModule(functions: FunctionSpec[], memoryPages: { initial: number; maximum: number }): Uint8Array {
  const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
  const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
  const name = (s: string): number[] => [...uleb(s.length), ...Array.from(Buffer.from(s, 'utf8'))];

  const types = functions.map((f) => [0x60, ...uleb(f.params.length), ...f.params.map((p) => TYPE_CODE[p]), 0]);
  const bodies = functions.map((f) => {
    const groups = (['i32', 'f32', 'v128'] as const).filter((t) => (f.locals[t] ?? 0) > 0);
    const locals = vector(groups.map((t) => [...uleb(f.locals[t] as number), TYPE_CODE[t]]));
    const body = [...locals, ...f.body, ...op.end];
    return [...uleb(body.length), ...body];
  });
  const exports = [
    ...functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
    [...name('memory'), 0x02, 0],
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(5, vector([[0x01, ...uleb(memoryPages.initial), ...uleb(memoryPages.maximum)]])),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}
