/**
 * WebAssembly SIMD kernels for the stacked trainer: a matrix product, Adam, and the few
 * elementwise steps of a Dense layer (bias, ReLU), over one private linear memory.
 *
 * Why not tfjs-wasm's XNNPACK product: XNNPACK repacks its right-hand operand on every
 * call (tfjs keys its packing cache by tensor, and in training every operand is new
 * each step). Packing measured 10-20 ns per element here, as much time as the product
 * itself for the shapes of an MLP step. These kernels read the operands in place:
 * register tiles of MR rows x 4*NV columns, the right-hand row loaded as vectors and
 * each left-hand value splatted, so no packing is needed (and a transposed left
 * operand costs nothing extra: it only changes two strides). Measured per core on the
 * development machine (AMD EPYC, 2 cores): 4x8 tiles ~30 GFLOP/s with multiply + add,
 * ~42 with relaxed SIMD's fused multiply-add, against ~21 for XNNPACK before packing.
 *
 * Relaxed SIMD is standard WebAssembly 3.0 and on by default from Node 22 (V8 11.4);
 * Node 20 has it behind --experimental-wasm-relaxed-simd, which we turn on at run time
 * (it only enables that instruction set). Where it cannot be had, the kernels use
 * multiply + add.
 */
import { cnnKernels } from './cnn-kernels';
import { Locals, buildModule, op, type FunctionSpec, type ValueType } from './wasm-assembler';

const GEMM_PARAMS: ValueType[] = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'];
// Parameter indices: a, b, c (byte addresses), M, N, K, then strides in bytes:
// A(i, k) is at a + i*ars + k*aks; B(k, j) at b + k*ldb + 4j; C(i, j) at c + i*ldc + 4j;
// then ACCUMULATE: 0 for C = A B, 1 for C += A B.
const [A, B, C, M, N, K, ARS, AKS, LDB, LDC, ACCUMULATE] = GEMM_PARAMS.map((_, i) => i);

/**
 * C (+)= A B over rows [0, M) step MR and columns [0, N) step 4*NV (the caller keeps M
 * and N multiples of the tile).
 */
function gemmTile(name: string, mr: number, nv: number, fma: boolean): FunctionSpec {
  const locals = new Locals(GEMM_PARAMS);
  const i = locals.add('i32');
  const j = locals.add('i32');
  const k = locals.add('i32');
  const pb = locals.add('i32');
  const pc = locals.add('i32');
  const pa = Array.from({ length: mr }, () => locals.add('i32'));
  const acc = Array.from({ length: mr * nv }, () => locals.add('v128'));
  const bv = Array.from({ length: nv }, () => locals.add('v128'));
  const av = locals.add('v128');
  const declared = locals.finish();
  const body: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const p of parts) body.push(...p);
  };
  const get = (l: { index: number }): number[] => op.localGet(l.index);
  const set = (l: { index: number }): number[] => op.localSet(l.index);

  emit(op.i32Const(0), set(i), op.block, op.loop);
  emit(get(i), op.localGet(M), op.i32GeU, op.brIf(1));
  emit(op.i32Const(0), set(j), op.block, op.loop);
  emit(get(j), op.localGet(N), op.i32GeU, op.brIf(1));
  emit(op.localGet(C), get(i), op.localGet(LDC), op.i32Mul, op.i32Add, get(j), op.i32Const(2), op.i32Shl, op.i32Add, set(pc));
  emit(op.localGet(ACCUMULATE), op.if);
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++) emit(get(pc), op.v128Load(16 * v), set(acc[r * nv + v]));
    emit(get(pc), op.localGet(LDC), op.i32Add, set(pc));
  }
  emit(op.else);
  for (const a of acc) emit(op.v128Zero, set(a));
  emit(op.end);
  emit(op.localGet(A), get(i), op.localGet(ARS), op.i32Mul, op.i32Add, set(pa[0]));
  for (let r = 1; r < mr; r++) emit(get(pa[r - 1]), op.localGet(ARS), op.i32Add, set(pa[r]));
  emit(op.localGet(B), get(j), op.i32Const(2), op.i32Shl, op.i32Add, set(pb));
  emit(op.localGet(K), set(k), op.block, op.loop);
  emit(get(k), op.i32Eqz, op.brIf(1));
  for (let v = 0; v < nv; v++) emit(get(pb), op.v128Load(16 * v), set(bv[v]));
  for (let r = 0; r < mr; r++) {
    emit(get(pa[r]), op.v128Load32Splat(0), set(av));
    for (let v = 0; v < nv; v++) {
      const sum = acc[r * nv + v];
      if (fma) emit(get(av), get(bv[v]), get(sum), op.f32x4RelaxedMadd, set(sum));
      else emit(get(sum), get(av), get(bv[v]), op.f32x4Mul, op.f32x4Add, set(sum));
    }
    emit(get(pa[r]), op.localGet(AKS), op.i32Add, set(pa[r]));
  }
  emit(get(pb), op.localGet(LDB), op.i32Add, set(pb));
  emit(get(k), op.i32Const(1), op.i32Sub, set(k), op.br(0), op.end, op.end);
  emit(op.localGet(C), get(i), op.localGet(LDC), op.i32Mul, op.i32Add, get(j), op.i32Const(2), op.i32Shl, op.i32Add, set(pc));
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++) emit(get(pc), get(acc[r * nv + v]), op.v128Store(16 * v));
    emit(get(pc), op.localGet(LDC), op.i32Add, set(pc));
  }
  emit(get(j), op.i32Const(4 * nv), op.i32Add, set(j), op.br(0), op.end, op.end);
  emit(get(i), op.i32Const(mr), op.i32Add, set(i), op.br(0), op.end, op.end);
  return { name, params: GEMM_PARAMS, locals: declared, body };
}

/** Scalar C (+)= A B for the columns left over after the vector tiles. */
function gemmScalar(name: string): FunctionSpec {
  const locals = new Locals(GEMM_PARAMS);
  const i = locals.add('i32');
  const j = locals.add('i32');
  const k = locals.add('i32');
  const pa = locals.add('i32');
  const pb = locals.add('i32');
  const sum = locals.add('f32');
  const declared = locals.finish();
  const get = (l: { index: number }): number[] => op.localGet(l.index);
  const set = (l: { index: number }): number[] => op.localSet(l.index);
  const body = [
    op.i32Const(0), set(i), op.block, op.loop,
    get(i), op.localGet(M), op.i32GeU, op.brIf(1),
    op.i32Const(0), set(j), op.block, op.loop,
    get(j), op.localGet(N), op.i32GeU, op.brIf(1),
    op.f32Const(0), set(sum),
    op.localGet(ACCUMULATE), op.if,
    op.localGet(C), get(i), op.localGet(LDC), op.i32Mul, op.i32Add, get(j), op.i32Const(2), op.i32Shl, op.i32Add, op.f32Load(0), set(sum),
    op.end,
    op.localGet(A), get(i), op.localGet(ARS), op.i32Mul, op.i32Add, set(pa),
    op.localGet(B), get(j), op.i32Const(2), op.i32Shl, op.i32Add, set(pb),
    op.localGet(K), set(k), op.block, op.loop,
    get(k), op.i32Eqz, op.brIf(1),
    get(sum), get(pa), op.f32Load(0), get(pb), op.f32Load(0), op.f32Mul, op.f32Add, set(sum),
    get(pa), op.localGet(AKS), op.i32Add, set(pa),
    get(pb), op.localGet(LDB), op.i32Add, set(pb),
    get(k), op.i32Const(1), op.i32Sub, set(k), op.br(0), op.end, op.end,
    op.localGet(C), get(i), op.localGet(LDC), op.i32Mul, op.i32Add, get(j), op.i32Const(2), op.i32Shl, op.i32Add,
    get(sum), op.f32Store(0),
    get(j), op.i32Const(1), op.i32Add, set(j), op.br(0), op.end, op.end,
    get(i), op.i32Const(1), op.i32Add, set(i), op.br(0), op.end, op.end,
  ].flat();
  return { name, params: GEMM_PARAMS, locals: declared, body };
}

const ADAM_PARAMS: ValueType[] = ['i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32'];

/**
 * Adam over n4 groups of 4 floats (tfjs's formulation):
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  w -= lrC1 m / (sqrt(c2 v) + eps)
 * with lrC1 = lr / (1 - b1^t) and c2 = 1 / (1 - b2^t) computed by the caller.
 */
function adam(name: string): FunctionSpec {
  const [W, G, MM, V, N4, LR, C2, B1, G1, B2, G2, EPS] = ADAM_PARAMS.map((_, i) => i);
  const locals = new Locals(ADAM_PARAMS);
  const n = locals.add('i32');
  const splats = Array.from({ length: 7 }, () => locals.add('v128'));
  const [sLr, sC2, sB1, sG1, sB2, sG2, sEps] = splats;
  const g = locals.add('v128');
  const m = locals.add('v128');
  const v = locals.add('v128');
  const declared = locals.finish();
  const get = (l: { index: number }): number[] => op.localGet(l.index);
  const set = (l: { index: number }): number[] => op.localSet(l.index);
  const advance = (p: number): number[][] => [op.localGet(p), op.i32Const(16), op.i32Add, op.localSet(p)];
  const body = [
    ...[LR, C2, B1, G1, B2, G2, EPS].map((p, idx) => [op.localGet(p), op.f32x4Splat, set(splats[idx])]).flat(),
    op.localGet(N4), set(n), op.block, op.loop,
    get(n), op.i32Eqz, op.brIf(1),
    op.localGet(G), op.v128Load(0), set(g),
    op.localGet(MM), op.localGet(MM), op.v128Load(0), get(sB1), op.f32x4Mul, get(g), get(sG1), op.f32x4Mul, op.f32x4Add, op.localTee(m.index), op.v128Store(0),
    op.localGet(V), op.localGet(V), op.v128Load(0), get(sB2), op.f32x4Mul, get(g), get(g), op.f32x4Mul, get(sG2), op.f32x4Mul, op.f32x4Add, op.localTee(v.index), op.v128Store(0),
    op.localGet(W), op.localGet(W), op.v128Load(0),
    get(sLr), get(m), op.f32x4Mul, get(v), get(sC2), op.f32x4Mul, op.f32x4Sqrt, get(sEps), op.f32x4Add, op.f32x4Div,
    op.f32x4Sub, op.v128Store(0),
    ...advance(W), ...advance(G), ...advance(MM), ...advance(V),
    get(n), op.i32Const(1), op.i32Sub, set(n), op.br(0), op.end, op.end,
  ].flat();
  return { name, params: ADAM_PARAMS, locals: declared, body };
}

/**
 * Elementwise helpers over groups of 4 floats (callers do the last count % 4 in JS):
 *   addRows(x, v, rows, n4, ld): x[i, :] += v for each row i (row stride ld bytes)
 *   relu(x, n4):                 x = max(x, 0)
 *   reluMask(d, a, n4):          d = a > 0 ? d : 0  (the ReLU gradient, through its output)
 *   addRowsInto(src, out, rows, n4, ld): out += sum over rows of src[i, :]
 */
function elementwise(): FunctionSpec[] {
  type Ref = { index: number };
  /** Declares the locals, fixes their indices, then builds the body from them. */
  const spec = <T>(name: string, params: ValueType[], declare: (locals: Locals) => T, build: (refs: T) => number[][]): FunctionSpec => {
    const locals = new Locals(params);
    const refs = declare(locals);
    const declared = locals.finish();
    return { name, params, locals: declared, body: build(refs).flat() };
  };
  const get = (l: Ref | number): number[] => op.localGet(typeof l === 'number' ? l : l.index);
  const set = (l: Ref | number): number[] => op.localSet(typeof l === 'number' ? l : l.index);
  const bump = (l: Ref | number, by: number): number[][] => [get(l), op.i32Const(by), op.i32Add, set(l)];
  /** counter = from; while (counter != 0) { body; counter-- } */
  const repeat = (counter: Ref, from: number[], body: number[][]): number[][] => [
    from, set(counter), op.block, op.loop, get(counter), op.i32Eqz, op.brIf(1), ...body,
    get(counter), op.i32Const(1), op.i32Sub, set(counter), op.br(0), op.end, op.end,
  ];
  const rowsParams: ValueType[] = ['i32', 'i32', 'i32', 'i32', 'i32'];
  const rowLocals = (l: Locals) => ({ row: l.add('i32'), j: l.add('i32'), p: l.add('i32'), q: l.add('i32') });
  return [
    // Params: x, v, rows, n4, ld.
    spec('addRows', rowsParams, rowLocals, ({ row, j, p, q }) => repeat(row, get(2), [
      get(0), set(p), get(1), set(q),
      ...repeat(j, get(3), [
        get(p), get(p), op.v128Load(0), get(q), op.v128Load(0), op.f32x4Add, op.v128Store(0),
        ...bump(p, 16), ...bump(q, 16),
      ]),
      get(0), get(4), op.i32Add, set(0),
    ])),
    // Params: x, n4.
    spec('relu', ['i32', 'i32'], (l) => l.add('i32'), (n) => repeat(n, get(1), [
      get(0), get(0), op.v128Load(0), op.v128Zero, op.f32x4Pmax, op.v128Store(0), ...bump(0, 16),
    ])),
    // Params: d, a, n4.
    spec('reluMask', ['i32', 'i32', 'i32'], (l) => l.add('i32'), (n) => repeat(n, get(2), [
      get(0), get(0), op.v128Load(0), get(1), op.v128Load(0), op.v128Zero, op.f32x4Gt, op.v128And, op.v128Store(0),
      ...bump(0, 16), ...bump(1, 16),
    ])),
    // Params: src, out, rows, n4, ld.
    spec('addRowsInto', rowsParams, rowLocals, ({ row, j, p, q }) => repeat(row, get(2), [
      get(0), set(p), get(1), set(q),
      ...repeat(j, get(3), [
        get(q), get(q), op.v128Load(0), get(p), op.v128Load(0), op.f32x4Add, op.v128Store(0),
        ...bump(p, 16), ...bump(q, 16),
      ]),
      get(0), get(4), op.i32Add, set(0),
    ])),
  ];
}

type GemmFn = (a: number, b: number, c: number, m: number, n: number, k: number, ars: number, aks: number, ldb: number, ldc: number, accumulate: number) => void;
type AdamFn = (w: number, g: number, m: number, v: number, n4: number, lr: number, c2: number, b1: number, g1: number, b2: number, g2: number, eps: number) => void;

/** The parts of the WebAssembly JS API used here (the project's lib has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type RowsFn = (x: number, v: number, rows: number, n4: number, ld: number) => void;

interface Exports {
  memory: WasmMemory;
  addRows: RowsFn;
  relu: (x: number, n4: number) => void;
  reluMask: (d: number, a: number, n4: number) => void;
  addRowsInto: RowsFn;
  gemm4x8: GemmFn;
  gemm1x8: GemmFn;
  gemm4x4: GemmFn;
  gemm1x4: GemmFn;
  gemm1x1: GemmFn;
  adam: AdamFn;
  /** The convolutional trainer's (cnn-kernels.ts): shape parameters, then pointers. */
  im2col: (...shapeThenPointers: number[]) => void;
  col2im: (...shapeThenPointers: number[]) => void;
  maxPool: (...shapeThenPointers: number[]) => void;
}

/**
 * Longest K run per kernel call. A tile walks K rows of B; past a few hundred rows they
 * no longer stay in L1 between tiles, and products with K = 784 measured ~23 GFLOP/s
 * against ~29 when cut into slices of 196 accumulated into C.
 */
const K_BLOCK = 256;

/** 64 KiB pages: start at 1 MiB, allow up to 2 GiB (a worker's stacks stay far below). */
const PAGES = { initial: 16, maximum: 32768 };

function kernelModule(fma: boolean): Uint8Array {
  return buildModule([
    gemmTile('gemm4x8', 4, 2, fma),
    gemmTile('gemm1x8', 1, 2, fma),
    gemmTile('gemm4x4', 4, 1, fma),
    gemmTile('gemm1x4', 1, 1, fma),
    gemmScalar('gemm1x1'),
    adam('adam'),
    ...elementwise(),
    ...cnnKernels(),
  ], PAGES);
}

let compiled: { module: object; fma: boolean } | undefined;

/** The kernels with fused multiply-add when the engine can have relaxed SIMD, else without. */
function compile(): { module: object; fma: boolean } {
  if (compiled !== undefined) return compiled;
  const withFma = kernelModule(true);
  const attempt = (): object | undefined => {
    try {
      return new wasm.Module(withFma);
    } catch {
      return undefined;
    }
  };
  let module = attempt();
  if (module === undefined) {
    // Node 20: relaxed SIMD is implemented but behind a flag; flags are read at compile time.
    try {
      (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
      module = attempt();
    } catch {
      // No V8 flags here (not Node): multiply + add it is.
    }
  }
  compiled = module !== undefined ? { module, fma: true } : { module: new wasm.Module(kernelModule(false)), fma: false };
  return compiled;
}

/** Whether the products use fused multiply-add (relaxed SIMD). */
export function kernelsUseFma(): boolean {
  return compile().fma;
}

/** A matrix of floats in kernel memory: element (i, j) at offset + i*rowStride + j*colStride (in floats). */
export interface MatrixRef {
  offset: number;
  rowStride: number;
  colStride: number;
}

/**
 * One instance of the kernels with its own memory. Buffers are carved out of it with
 * alloc() (offsets in floats, 16-byte aligned) and live as long as the instance.
 */
export class SimdKernels {
  private readonly exports: Exports;
  private used = 0;
  private view: Float32Array;

  constructor() {
    this.exports = new wasm.Instance(compile().module).exports as Exports;
    this.view = new Float32Array(this.exports.memory.buffer);
  }

  /** The memory as floats (re-read after allocations: growing memory replaces the buffer). */
  get f32(): Float32Array {
    if (this.view.buffer !== this.exports.memory.buffer) this.view = new Float32Array(this.exports.memory.buffer);
    return this.view;
  }

  /** Reserves `floats` zeroed floats; returns their offset in floats. */
  alloc(floats: number): number {
    const start = this.used;
    this.used += Math.ceil(floats / 4) * 4;
    const needBytes = this.used * 4;
    const haveBytes = this.exports.memory.buffer.byteLength;
    if (needBytes > haveBytes) this.exports.memory.grow(Math.ceil((needBytes - haveBytes) / 65536));
    return start;
  }

  /**
   * C[M x N] = A[M x K] B[K x N]; B and C row-major (colStride 1); A may be transposed
   * (any strides). Long products run in slices of K (see K_BLOCK) accumulated into C.
   */
  gemm(a: MatrixRef, b: MatrixRef, c: MatrixRef, m: number, n: number, k: number): void {
    if (b.colStride !== 1 || c.colStride !== 1) throw new RangeError('gemm needs B and C with unit column stride');
    if (m === 0 || n === 0) return;
    if (k === 0) {
      for (let i = 0; i < m; i++) this.f32.fill(0, c.offset + i * c.rowStride, c.offset + i * c.rowStride + n);
      return;
    }
    const slices = Math.ceil(k / K_BLOCK);
    const size = Math.ceil(k / slices);
    for (let k0 = 0; k0 < k; k0 += size) {
      const aSlice = { ...a, offset: a.offset + k0 * a.colStride };
      const bSlice = { ...b, offset: b.offset + k0 * b.rowStride };
      this.gemmTiles(aSlice, bSlice, c, m, n, Math.min(size, k - k0), k0 > 0 ? 1 : 0);
    }
  }

  /** One K slice: the tile kernels over the bulk, narrower ones over the edges. */
  private gemmTiles(a: MatrixRef, b: MatrixRef, c: MatrixRef, m: number, n: number, k: number, accumulate: number): void {
    const e = this.exports;
    const ars = a.rowStride * 4;
    const aks = a.colStride * 4;
    const ldb = b.rowStride * 4;
    const ldc = c.rowStride * 4;
    const m4 = m - (m % 4);
    const n8 = n - (n % 8);
    const n4 = n - (n % 4);
    const at = (ref: MatrixRef, i: number, j: number): number => (ref.offset + i * ref.rowStride + j * ref.colStride) * 4;
    if (n8 > 0) {
      if (m4 > 0) e.gemm4x8(at(a, 0, 0), at(b, 0, 0), at(c, 0, 0), m4, n8, k, ars, aks, ldb, ldc, accumulate);
      if (m4 < m) e.gemm1x8(at(a, m4, 0), at(b, 0, 0), at(c, m4, 0), m - m4, n8, k, ars, aks, ldb, ldc, accumulate);
    }
    if (n4 > n8) {
      if (m4 > 0) e.gemm4x4(at(a, 0, 0), at(b, 0, n8), at(c, 0, n8), m4, n4 - n8, k, ars, aks, ldb, ldc, accumulate);
      if (m4 < m) e.gemm1x4(at(a, m4, 0), at(b, 0, n8), at(c, m4, n8), m - m4, n4 - n8, k, ars, aks, ldb, ldc, accumulate);
    }
    if (n === n4) return;
    if (n >= 4 && accumulate === 0) {
      // The last 1-3 columns as a 4-wide tile ending at column n: it recomputes a few
      // columns already written, with identical results (same products, same order),
      // and is far faster than the scalar kernel (e.g. 10 classes = 8 + 2 columns).
      if (m4 > 0) e.gemm4x4(at(a, 0, 0), at(b, 0, n - 4), at(c, 0, n - 4), m4, 4, k, ars, aks, ldb, ldc, 0);
      if (m4 < m) e.gemm1x4(at(a, m4, 0), at(b, 0, n - 4), at(c, m4, n - 4), m - m4, 4, k, ars, aks, ldb, ldc, 0);
      return;
    }
    e.gemm1x1(at(a, 0, 0), at(b, 0, n4), at(c, 0, n4), m, n - n4, k, ars, aks, ldb, ldc, accumulate);
  }

  /** x[i, 0:cols] += v[0:cols] for rows i of a row-major matrix with row stride ld (floats). */
  addRows(x: number, v: number, rows: number, cols: number, ld: number): void {
    const n4 = cols >> 2;
    if (n4 > 0) this.exports.addRows(x * 4, v * 4, rows, n4, ld * 4);
    const f = this.f32;
    for (let i = 0; i < rows; i++) for (let j = n4 * 4; j < cols; j++) f[x + i * ld + j] += f[v + j];
  }

  /** x = max(x, 0) over count floats. */
  relu(x: number, count: number): void {
    const n4 = count >> 2;
    if (n4 > 0) this.exports.relu(x * 4, n4);
    const f = this.f32;
    for (let i = n4 * 4; i < count; i++) if (!(f[x + i] > 0)) f[x + i] = 0;
  }

  /** d = 0 where a <= 0 (the ReLU gradient, from the layer's output), over count floats. */
  reluMask(d: number, a: number, count: number): void {
    const n4 = count >> 2;
    if (n4 > 0) this.exports.reluMask(d * 4, a * 4, n4);
    const f = this.f32;
    for (let i = n4 * 4; i < count; i++) if (!(f[a + i] > 0)) f[d + i] = 0;
  }

  /** out[0:cols] = column sums of a rows x cols row-major matrix (row stride ld floats). */
  columnSums(src: number, rows: number, cols: number, ld: number, out: number): void {
    const f = this.f32;
    f.fill(0, out, out + cols);
    const n4 = cols >> 2;
    if (n4 > 0) this.exports.addRowsInto(src * 4, out * 4, rows, n4, ld * 4);
    for (let i = 0; i < rows; i++) for (let j = n4 * 4; j < cols; j++) f[out + j] += f[src + i * ld + j];
  }

  /** The memory as 32-bit integers (argmax indices live there). */
  get i32(): Int32Array {
    return new Int32Array(this.exports.memory.buffer);
  }

  /**
   * Convolution windows (cnn-kernels.ts; offsets in floats): `shape` is windowShape()'s
   * [rows, H, W, C, OH, OW, KH, KW, SH, SW, padTop, padLeft].
   * im2col: dst = the windows of the images at src, one row per output pixel.
   */
  im2col(shape: number[], src: number, dst: number): void {
    this.exports.im2col(...shape, src * 4, dst * 4);
  }

  /** col2im: dst += the window rows of cols folded back onto their pixels (dst zeroed by the caller). */
  col2im(shape: number[], cols: number, dst: number): void {
    this.exports.col2im(...shape, cols * 4, dst * 4);
  }

  /** Max pool of channel counts divisible by 4; arg (offset in 32-bit words) gets each maximum's input offset from src. */
  maxPool(shape: number[], src: number, dst: number, arg: number): void {
    if (shape[3] % 4 !== 0) throw new RangeError(`maxPool needs channels divisible by 4, got ${shape[3]}`);
    this.exports.maxPool(...shape, src * 4, dst * 4, arg * 4);
  }

  /** Adam step on `count` floats at w, g, m, v (offsets in floats); see adam() above. */
  adam(w: number, g: number, m: number, v: number, count: number, step: number, spec: { learningRate: number; beta1: number; beta2: number; epsilon: number }): void {
    const { learningRate, beta1, beta2, epsilon } = spec;
    const lrC1 = learningRate / (1 - Math.pow(beta1, step));
    const c2 = 1 / (1 - Math.pow(beta2, step));
    const n4 = Math.floor(count / 4);
    this.exports.adam(w * 4, g * 4, m * 4, v * 4, n4, lrC1, c2, beta1, 1 - beta1, beta2, 1 - beta2, epsilon);
    // The last count % 4 values, in JavaScript (double precision, then rounded).
    const f = this.f32;
    for (let i = n4 * 4; i < count; i++) {
      const gi = f[g + i];
      const mi = (f[m + i] = beta1 * f[m + i] + (1 - beta1) * gi);
      const vi = (f[v + i] = beta2 * f[v + i] + (1 - beta2) * gi * gi);
      f[w + i] -= (lrC1 * mi) / (Math.sqrt(c2 * vi) + epsilon);
    }
  }
}
