/**
 * WebAssembly kernels for the convolutional trainer's memory-bound steps, built into the
 * same module (and memory) as the GEMM (simd-kernels.ts):
 *   im2col(src, dst, ...shape):  the windows of `rows` NHWC images as rows of dst
 *   col2im(cols, dst, ...shape): dst += each window row folded back onto its pixels
 *   maxPool(src, dst, arg, ...shape): window maxima of C % 4 == 0 channels, with the
 *     input offset (floats, from src) each came from: the first maximum in window order
 * Shape parameters, all i32: rows, H, W, C, OH, OW, KH, KW, SH, SW, padTop, padLeft;
 * pointers are byte addresses. They replace JavaScript loops (cnn-ops.ts, kept as the
 * reference and for other channel counts) that measured 2-4x slower; the max pool most of
 * all, whose data-dependent branches mispredict where SIMD selects do not branch.
 * Bounds use one unsigned comparison: a negative row or column is a huge unsigned one.
 */
import { Locals, op, uleb, type FunctionSpec, type ValueType } from './wasm-assembler';

type Ref = { index: number };

const simd = (code: number): number[] => [0xfd, ...uleb(code)];
const I32_AND = [0x71];
const V128_BITSELECT = simd(0x52);
const I32X4_SPLAT = simd(0x11);
const I32X4_ADD = simd(0xae);
const I32_SHR_U = [0x76];
/** v128.const i32x4 (0, 1, 2, 3): the lane offsets of a group of four channels. */
const IOTA = [...simd(0x0c), ...[0, 1, 2, 3].flatMap((v) => [v, 0, 0, 0])];
const F32X4_NEG_INF = [...simd(0x0c), ...new Array<number>(4).fill(0).flatMap(() => [0x00, 0x00, 0x80, 0xff])];

const SHAPE: ValueType[] = new Array<ValueType>(12).fill('i32');
const [ROWS, H, W, C, OH, OW, KH, KW, SH, SW, PT, PL] = SHAPE.map((_, i) => i);

const get = (l: Ref | number): number[] => op.localGet(typeof l === 'number' ? l : l.index);
const set = (l: Ref | number): number[] => op.localSet(typeof l === 'number' ? l : l.index);
const bump = (l: Ref, by: number[]): number[][] => [get(l), by, op.i32Add, set(l)];

/** for (counter = 0; counter < limit; counter++) body */
function loop(counter: Ref, limit: number[], body: number[][]): number[][] {
  return [
    op.i32Const(0), set(counter), op.block, op.loop,
    get(counter), limit, op.i32GeU, op.brIf(1),
    ...body,
    get(counter), op.i32Const(1), op.i32Add, set(counter), op.br(0), op.end, op.end,
  ];
}

/** while (n != 0) { body; n-- } with n = from. */
function repeat(n: Ref, from: number[], body: number[][]): number[][] {
  return [
    from, set(n), op.block, op.loop, get(n), op.i32Eqz, op.brIf(1), ...body,
    get(n), op.i32Const(1), op.i32Sub, set(n), op.br(0), op.end, op.end,
  ];
}

interface WindowLocals {
  b: Ref; oh: Ref; ow: Ref; kh: Ref; kw: Ref; ih: Ref; iw: Ref; n: Ref; p: Ref; q: Ref;
}

function windowLocals(locals: Locals): WindowLocals {
  const names = ['b', 'oh', 'ow', 'kh', 'kw', 'ih', 'iw', 'n', 'p', 'q'] as const;
  return Object.fromEntries(names.map((k) => [k, locals.add('i32')])) as unknown as WindowLocals;
}

/** Float offset of input pixel (b, ih, iw), channel 0: ((b*H + ih)*W + iw)*C. */
const pixel = (v: WindowLocals): number[][] => [
  get(v.b), op.localGet(H), op.i32Mul, get(v.ih), op.i32Add, op.localGet(W), op.i32Mul, get(v.iw), op.i32Add, op.localGet(C), op.i32Mul,
];

/** ih = oh*SH - PT + kh (and iw alike); then whether both are inside the image. */
const inside = (v: WindowLocals): number[][] => [
  get(v.oh), op.localGet(SH), op.i32Mul, op.localGet(PT), op.i32Sub, get(v.kh), op.i32Add, set(v.ih),
  get(v.ow), op.localGet(SW), op.i32Mul, op.localGet(PL), op.i32Sub, get(v.kw), op.i32Add, set(v.iw),
  get(v.ih), op.localGet(H), op.i32LtU, get(v.iw), op.localGet(W), op.i32LtU, I32_AND,
];

/** The loops over every window position of every output pixel of every image. */
function everyWindowPosition(v: WindowLocals, body: number[][]): number[][] {
  return loop(v.b, op.localGet(ROWS), loop(v.oh, op.localGet(OH), loop(v.ow, op.localGet(OW),
    loop(v.kh, op.localGet(KH), loop(v.kw, op.localGet(KW), body)))));
}

/**
 * im2col (fold false) or col2im (fold true). Params: shape, then src/cols pointer (12)
 * and dst pointer (13). The cols pointer walks on (q); image pixels are addressed (p).
 */
function windows(name: string, fold: boolean): FunctionSpec {
  const params: ValueType[] = [...SHAPE, 'i32', 'i32'];
  const [IMAGES, COLS] = fold ? [13, 12] : [12, 13];
  const locals = new Locals(params);
  const v = windowLocals(locals);
  const declared = locals.finish();
  const groups = [op.localGet(C), op.i32Const(2), I32_SHR_U];
  const rest = [op.localGet(C), op.i32Const(3), I32_AND];
  const stepBoth = [...bump(v.p, op.i32Const(16)), ...bump(v.q, op.i32Const(16))];
  const stepBothScalar = [...bump(v.p, op.i32Const(4)), ...bump(v.q, op.i32Const(4))];
  const moveVector = fold
    ? [get(v.p), get(v.p), op.v128Load(0), get(v.q), op.v128Load(0), op.f32x4Add, op.v128Store(0)]
    : [get(v.q), get(v.p), op.v128Load(0), op.v128Store(0)];
  const moveScalar = fold
    ? [get(v.p), get(v.p), op.f32Load(0), get(v.q), op.f32Load(0), op.f32Add, op.f32Store(0)]
    : [get(v.q), get(v.p), op.f32Load(0), op.f32Store(0)];
  const body = [
    ...inside(v), op.if,
    op.localGet(IMAGES), ...pixel(v), op.i32Const(2), op.i32Shl, op.i32Add, set(v.p),
    ...repeat(v.n, groups.flat(), [moveVector.flat(), ...stepBoth]),
    ...repeat(v.n, rest.flat(), [moveScalar.flat(), ...stepBothScalar]),
    op.else,
    ...(fold
      ? bump(v.q, [op.localGet(C), op.i32Const(2), op.i32Shl].flat())
      : [
        ...repeat(v.n, groups.flat(), [[get(v.q), op.v128Zero, op.v128Store(0)].flat(), ...bump(v.q, op.i32Const(16))]),
        ...repeat(v.n, rest.flat(), [[get(v.q), op.f32Const(0), op.f32Store(0)].flat(), ...bump(v.q, op.i32Const(4))]),
      ]),
    op.end,
  ];
  return { name, params, locals: declared, body: [op.localGet(COLS), set(v.q), ...everyWindowPosition(v, body)].flat() };
}

/**
 * Max pool over channel groups of four. Params: shape, src (12), dst (13), arg (14).
 * Per output pixel and group: best = -inf; at each window position inside the image,
 * lanes where value > best take the value and its input offset (strict: first max wins).
 */
function maxPoolKernel(): FunctionSpec {
  const params: ValueType[] = [...SHAPE, 'i32', 'i32', 'i32'];
  const [SRC, DST, ARG] = [12, 13, 14];
  const locals = new Locals(params);
  const v = windowLocals(locals);
  const g = locals.add('i32');
  const best = locals.add('v128');
  const at = locals.add('v128');
  const value = locals.add('v128');
  const mask = locals.add('v128');
  const declared = locals.finish();
  // Input offset (floats) of lane 0 of this group at this position.
  const offset = [...pixel(v), get(g), op.i32Const(2), op.i32Shl, op.i32Add];
  const position = loop(v.kh, op.localGet(KH), loop(v.kw, op.localGet(KW), [
    ...inside(v), op.if,
    op.localGet(SRC), ...offset, op.i32Const(2), op.i32Shl, op.i32Add, op.v128Load(0), set(value),
    get(value), get(best), op.f32x4Gt, set(mask),
    get(value), get(best), get(mask), V128_BITSELECT, set(best),
    ...offset, I32X4_SPLAT, IOTA, I32X4_ADD, get(at), get(mask), V128_BITSELECT, set(at),
    op.end,
  ]));
  const body = loop(v.b, op.localGet(ROWS), loop(v.oh, op.localGet(OH), loop(v.ow, op.localGet(OW),
    loop(g, [op.localGet(C), op.i32Const(2), I32_SHR_U].flat(), [
      F32X4_NEG_INF, set(best), op.v128Zero, set(at),
      ...position,
      [op.localGet(DST), get(best), op.v128Store(0)].flat(), ...bumpParam(DST, 16),
      [op.localGet(ARG), get(at), op.v128Store(0)].flat(), ...bumpParam(ARG, 16),
    ]))));
  return { name: 'maxPool', params, locals: declared, body: body.flat() };
}

const bumpParam = (p: number, by: number): number[][] => [op.localGet(p), op.i32Const(by), op.i32Add, op.localSet(p)];

export function cnnKernels(): FunctionSpec[] {
  return [windows('im2col', false), windows('col2im', true), maxPoolKernel()];
}

/** The shape parameters of a window layer, in the kernels' order. */
export function windowShape(rows: number, l: {
  input: { h: number; w: number; c: number }; output: { h: number; w: number };
  kh: number; kw: number; sh: number; sw: number; padTop: number; padLeft: number;
}): number[] {
  return [rows, l.input.h, l.input.w, l.input.c, l.output.h, l.output.w, l.kh, l.kw, l.sh, l.sw, l.padTop, l.padLeft];
}
