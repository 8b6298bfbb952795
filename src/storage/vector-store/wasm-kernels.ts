/**
 * The WebAssembly SIMD (f32x4 / i16x8) kernels behind {@link SimpleVectorStore}, assembled at load time from the
 * instruction list below (no toolchain, no dependency). The module is equivalent to this WAT:
 *
 * ```wat
 * (module
 *   (memory (export "memory") 1)
 *
 *   ;; Exact float32 dot product of $n floats ($n % 16 == 0) at byte offsets $a and $b. Lane j of accumulator k
 *   ;; sums the products at indices i ≡ 4k + j (mod 16); then ((s0 + s1) + (s2 + s3)), then
 *   ;; (lane0 + lane1) + (lane2 + lane3). No fused multiply-add: results are bit-for-bit reproducible.
 *   (func (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f32)
 *     (local $end i32) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
 *     (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
 *       (local.set $s0 (f32x4.add (local.get $s0)
 *         (f32x4.mul (v128.load offset=0 (local.get $a)) (v128.load offset=0 (local.get $b)))))
 *       ;; ... the same for $s1 (offset=16), $s2 (offset=32), $s3 (offset=48)
 *       (local.set $a (i32.add (local.get $a) (i32.const 64)))
 *       (local.set $b (i32.add (local.get $b) (i32.const 64)))
 *       (br $next)))
 *     (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
 *     (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
 *              (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
 *
 *   ;; For each of $count int8 rows of $n values ($n % 32 == 0, rows contiguous from $rows), the exact int32 dot
 *   ;; product with the $n int16 values at $q, stored at $out (one i32 per row). The caller keeps every partial
 *   ;; sum below 2^31 by choosing the int16 range.
 *   (func (export "scanI8") (param $q i32) (param $rows i32) (param $count i32) (param $n i32) (param $out i32)
 *     (local $end i32) (local $qp i32) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $r v128)
 *     (block $done (loop $row
 *       (br_if $done (i32.eqz (local.get $count)))
 *       (local.set $a0 (v128.const i32x4 0 0 0 0)) ;; ... and $a1 $a2 $a3
 *       (local.set $qp (local.get $q))
 *       (local.set $end (i32.add (local.get $rows) (local.get $n)))
 *       (block $rowDone (loop $chunk
 *         (br_if $rowDone (i32.ge_u (local.get $rows) (local.get $end)))
 *         (local.set $r (v128.load offset=0 (local.get $rows)))
 *         (local.set $a0 (i32x4.add (local.get $a0)
 *           (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $r)) (v128.load offset=0 (local.get $qp)))))
 *         (local.set $a1 (i32x4.add (local.get $a1)
 *           (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $r)) (v128.load offset=16 (local.get $qp)))))
 *         (local.set $r (v128.load offset=16 (local.get $rows)))
 *         ;; ... the same into $a2 (q offset=32) and $a3 (q offset=48)
 *         (local.set $rows (i32.add (local.get $rows) (i32.const 32)))
 *         (local.set $qp (i32.add (local.get $qp) (i32.const 64)))
 *         (br $chunk)))
 *       (local.set $r (i32x4.add (i32x4.add (i32x4.add (local.get $a0) (local.get $a1)) (local.get $a2)) (local.get $a3)))
 *       (i32.store (local.get $out) (i32.add (i32.add (i32.add (i32x4.extract_lane 0 (local.get $r))
 *         (i32x4.extract_lane 1 (local.get $r))) (i32x4.extract_lane 2 (local.get $r))) (i32x4.extract_lane 3 (local.get $r))))
 *       (local.set $out (i32.add (local.get $out) (i32.const 4)))
 *       (local.set $count (i32.sub (local.get $count) (i32.const 1)))
 *       (br $row))))
 *
 *   ;; Quantizes $count float32 rows of $n values ($n % 4 == 0) at $rows to int8 at $dst with the float32 scale
 *   ;; s = max|x| / 127: v = round-half-even(x * (127 / max|x|)), by the 1.5·2^23 trick (adding it rounds a float
 *   ;; of magnitude < 2^22 to an integer held in the low mantissa bits). Writes four f64 per row at $stats:
 *   ;; [s, Σ(x - s·v)², Σv², Σx²]; the two float sums are float32 (4 lanes, then (l0 + l1) + (l2 + l3)), and the
 *   ;; caller turns them into rigorous upper bounds.
 *   (func (export "quantize") (param $rows i32) (param $dst i32) (param $count i32) (param $n i32) (param $stats i32)
 *     (local $end i32) (local $p i32) (local $mx f32) (local $s f32) (local $m v128) (local $inv v128) (local $sv v128)
 *     (local $x v128) (local $v v128) (local $d v128) (local $res v128) (local $xx v128) (local $vv v128)
 *     (block $done (loop $row
 *       (br_if $done (i32.eqz (local.get $count)))
 *       (local.set $end (i32.add (local.get $rows) (i32.shl (local.get $n) (i32.const 2))))
 *       (local.set $m (v128.const i32x4 0 0 0 0))
 *       (local.set $p (local.get $rows))
 *       (block $b1 (loop $l1                                   ;; m = lane-wise max |x|
 *         (br_if $b1 (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $m (f32x4.max (local.get $m) (f32x4.abs (v128.load (local.get $p)))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *         (br $l1)))
 *       (local.set $mx (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
 *                               (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
 *       (local.set $sv (f32x4.splat (local.tee $s (f32.div (local.get $mx) (f32.const 127)))))
 *       (local.set $inv (f32x4.splat (select (f32.div (f32.const 127) (local.get $mx)) (f32.const 0)
 *                                            (f32.gt (local.get $mx) (f32.const 0)))))
 *       (local.set $res (v128.const i32x4 0 0 0 0)) ;; ... and $xx $vv
 *       (block $b2 (loop $l2                                   ;; 4 values per iteration
 *         (br_if $b2 (i32.ge_u (local.get $rows) (local.get $end)))
 *         (local.set $x (v128.load (local.get $rows)))
 *         (local.set $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv)) (v128.const f32x4 0x1.8p23 ...)))
 *         (local.set $v (i32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 ...)))  ;; bits minus bits: v as i32
 *         (v128.store32_lane 0 (local.get $dst)
 *           (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $v) (local.get $v))
 *                                 (i16x8.narrow_i32x4_s (local.get $v) (local.get $v))))
 *         (local.set $vv (i32x4.add (local.get $vv) (i32x4.mul (local.get $v) (local.get $v))))
 *         (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)
 *           (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 ...)))))       ;; v as float, exactly
 *         (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
 *         (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
 *         (local.set $rows (i32.add (local.get $rows) (i32.const 16)))
 *         (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
 *         (br $l2)))
 *       (f64.store offset=0 (local.get $stats) (f64.promote_f32 (local.get $s)))
 *       (f64.store offset=8 (local.get $stats) (f64.promote_f32 (f32.add
 *         (f32.add (f32x4.extract_lane 0 (local.get $res)) (f32x4.extract_lane 1 (local.get $res)))
 *         (f32.add (f32x4.extract_lane 2 (local.get $res)) (f32x4.extract_lane 3 (local.get $res))))))
 *       (f64.store offset=16 (local.get $stats) (f64.convert_i32_u (i32.add ... the 4 lanes of $vv)))
 *       (f64.store offset=24 (local.get $stats) (f64.promote_f32 ... the 4 lanes of $xx, summed like $res))
 *       (local.set $stats (i32.add (local.get $stats) (i32.const 32)))
 *       (local.set $count (i32.sub (local.get $count) (i32.const 1)))
 *       (br $row)))))
 * ```
 *
 * @module
 */

/** The functions the kernel module exports (byte offsets into its own memory). */
export interface WasmKernelExports {
  memory: WebAssembly.Memory;
  dot(a: number, b: number, n: number): number;
  scanI8(q: number, rows: number, count: number, n: number, out: number): void;
  quantize(rows: number, dst: number, count: number, n: number, stats: number): void;
}

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
const bytesOf = (array: Float32Array): number[] => Array.from(new Uint8Array(array.buffer));
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const mem = (align: number, offset = 0): number[] => [align, ...uleb(offset)];

// Control, locals and scalar instructions.
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const br = (depth: number) => [0x0c, depth];
const brIf = (depth: number) => [0x0d, depth];
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32c = (n: number) => [0x41, ...sleb(n)];
const f32c = (x: number) => [0x43, ...bytesOf(Float32Array.of(x))];
const I32_EQZ = [0x45];
const I32_GE_U = [0x4f];
const I32_ADD = [0x6a];
const I32_SUB = [0x6b];
const I32_SHL = [0x74];
const F32_GT = [0x5e];
const F32_ADD = [0x92];
const F32_DIV = [0x95];
const F32_MAX = [0x97];
const F64_CONVERT_I32_U = [0xb8];
const F64_PROMOTE_F32 = [0xbb];
const SELECT = [0x1b];
const I32_STORE = [0x36, ...mem(2)];
const f64Store = (offset: number) => [0x39, ...mem(3, offset)];
// SIMD instructions (0xfd prefix).
const v128Load = (offset = 0) => simd(0x00, ...mem(4, offset));
const V128_ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
const I32X4_LANE = (lane: number) => simd(0x1b, lane);
const F32X4_LANE = (lane: number) => simd(0x1f, lane);
const F32X4_SPLAT = simd(0x13);
const STORE32_LANE0 = simd(0x5a, ...mem(2), 0);
const I8X16_NARROW_I16X8_S = simd(0x65);
const I16X8_NARROW_I32X4_S = simd(0x85);
const I16X8_EXTEND_LOW_I8X16_S = simd(0x87);
const I16X8_EXTEND_HIGH_I8X16_S = simd(0x88);
const I32X4_ADD = simd(0xae);
const I32X4_SUB = simd(0xb1);
const MAGIC = simd(0x0c, ...[0, 1, 2, 3].flatMap(() => bytesOf(Float32Array.of(12_582_912))));
const I32X4_MUL = simd(0xb5);
const I32X4_DOT_I16X8_S = simd(0xba);
const F32X4_ABS = simd(0xe0);
const F32X4_ADD = simd(0xe4);
const F32X4_SUB = simd(0xe5);
const F32X4_MUL = simd(0xe6);
const F32X4_MAX = simd(0xe9);
const addTo = (local: number, offset: number) => [...get(local), ...i32c(offset), ...I32_ADD, ...set(local)];

// dot: params a=0 b=1 n=2; locals end=3 s0..s3=4..7.
// biome-ignore format: one instruction group per line
const dot = [
  ...get(0), ...get(2), ...i32c(2), ...I32_SHL, ...I32_ADD, ...set(3),
  ...BLOCK, ...LOOP,
  ...get(0), ...get(3), ...I32_GE_U, ...brIf(1),
  ...[0, 1, 2, 3].flatMap((k) => [
    ...get(4 + k), ...get(0), ...v128Load(16 * k), ...get(1), ...v128Load(16 * k), ...F32X4_MUL, ...F32X4_ADD, ...set(4 + k),
  ]),
  ...addTo(0, 64), ...addTo(1, 64), ...br(0),
  ...END, ...END,
  ...get(4), ...get(5), ...F32X4_ADD, ...get(6), ...get(7), ...F32X4_ADD, ...F32X4_ADD, ...tee(4),
  ...F32X4_LANE(0), ...get(4), ...F32X4_LANE(1), ...F32_ADD,
  ...get(4), ...F32X4_LANE(2), ...get(4), ...F32X4_LANE(3), ...F32_ADD, ...F32_ADD,
];

// scanI8: params q=0 rows=1 count=2 n=3 out=4; locals end=5 qp=6 a0..a3=7..10 r=11.
// biome-ignore format: one instruction group per line
const scanI8 = [
  ...BLOCK, ...LOOP,
  ...get(2), ...I32_EQZ, ...brIf(1),
  ...[7, 8, 9, 10].flatMap((a) => [...V128_ZERO, ...set(a)]),
  ...get(0), ...set(6),
  ...get(1), ...get(3), ...I32_ADD, ...set(5),
  ...BLOCK, ...LOOP,
  ...get(1), ...get(5), ...I32_GE_U, ...brIf(1),
  ...[0, 1].flatMap((u) => [
    ...get(1), ...v128Load(16 * u), ...set(11),
    ...get(7 + 2 * u), ...get(11), ...I16X8_EXTEND_LOW_I8X16_S, ...get(6), ...v128Load(32 * u),
    ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(7 + 2 * u),
    ...get(8 + 2 * u), ...get(11), ...I16X8_EXTEND_HIGH_I8X16_S, ...get(6), ...v128Load(32 * u + 16),
    ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(8 + 2 * u),
  ]),
  ...addTo(1, 32), ...addTo(6, 64), ...br(0),
  ...END, ...END,
  ...get(4),
  ...get(7), ...get(8), ...I32X4_ADD, ...get(9), ...I32X4_ADD, ...get(10), ...I32X4_ADD, ...tee(11),
  ...I32X4_LANE(0), ...get(11), ...I32X4_LANE(1), ...I32_ADD, ...get(11), ...I32X4_LANE(2), ...I32_ADD,
  ...get(11), ...I32X4_LANE(3), ...I32_ADD, ...I32_STORE,
  ...addTo(4, 4), ...get(2), ...i32c(1), ...I32_SUB, ...set(2), ...br(0),
  ...END, ...END,
];

// quantize: params rows=0 dst=1 count=2 n=3 stats=4; locals end=5 p=6 (i32) mx=7 s=8 (f32)
// m=9 inv=10 sv=11 x=12 v=13 d=14 res=15 xx=16 vv=17 (v128).
// biome-ignore format: one instruction group per line
const laneSum = (local: number) => [
  ...get(local), ...F32X4_LANE(0), ...get(local), ...F32X4_LANE(1), ...F32_ADD,
  ...get(local), ...F32X4_LANE(2), ...get(local), ...F32X4_LANE(3), ...F32_ADD, ...F32_ADD,
];
// biome-ignore format: one instruction group per line
const quantize = [
  ...BLOCK, ...LOOP,
  ...get(2), ...I32_EQZ, ...brIf(1),
  ...get(0), ...get(3), ...i32c(2), ...I32_SHL, ...I32_ADD, ...set(5),
  ...V128_ZERO, ...set(9), ...get(0), ...set(6),
  ...BLOCK, ...LOOP,
  ...get(6), ...get(5), ...I32_GE_U, ...brIf(1),
  ...get(9), ...get(6), ...v128Load(), ...F32X4_ABS, ...F32X4_MAX, ...set(9),
  ...addTo(6, 16), ...br(0),
  ...END, ...END,
  ...get(9), ...F32X4_LANE(0), ...get(9), ...F32X4_LANE(1), ...F32_MAX,
  ...get(9), ...F32X4_LANE(2), ...get(9), ...F32X4_LANE(3), ...F32_MAX, ...F32_MAX, ...set(7),
  ...get(7), ...f32c(127), ...F32_DIV, ...tee(8), ...F32X4_SPLAT, ...set(11),
  ...f32c(127), ...get(7), ...F32_DIV, ...f32c(0), ...get(7), ...f32c(0), ...F32_GT, ...SELECT, ...F32X4_SPLAT, ...set(10),
  ...V128_ZERO, ...set(15), ...V128_ZERO, ...set(16), ...V128_ZERO, ...set(17),
  ...BLOCK, ...LOOP,
  ...get(0), ...get(5), ...I32_GE_U, ...brIf(1),
  ...get(0), ...v128Load(), ...set(12),
  ...get(12), ...get(10), ...F32X4_MUL, ...MAGIC, ...F32X4_ADD, ...tee(14), ...MAGIC, ...I32X4_SUB, ...set(13),
  ...get(1), ...get(13), ...get(13), ...I16X8_NARROW_I32X4_S, ...get(13), ...get(13), ...I16X8_NARROW_I32X4_S,
  ...I8X16_NARROW_I16X8_S, ...STORE32_LANE0,
  ...get(17), ...get(13), ...get(13), ...I32X4_MUL, ...I32X4_ADD, ...set(17),
  ...get(12), ...get(11), ...get(14), ...MAGIC, ...F32X4_SUB, ...F32X4_MUL, ...F32X4_SUB, ...set(14),
  ...get(15), ...get(14), ...get(14), ...F32X4_MUL, ...F32X4_ADD, ...set(15),
  ...get(16), ...get(12), ...get(12), ...F32X4_MUL, ...F32X4_ADD, ...set(16),
  ...addTo(0, 16), ...addTo(1, 4), ...br(0),
  ...END, ...END,
  ...get(4), ...get(8), ...F64_PROMOTE_F32, ...f64Store(0),
  ...get(4), ...laneSum(15), ...F64_PROMOTE_F32, ...f64Store(8),
  ...get(4), ...get(17), ...I32X4_LANE(0), ...get(17), ...I32X4_LANE(1), ...I32_ADD, ...get(17), ...I32X4_LANE(2),
  ...I32_ADD, ...get(17), ...I32X4_LANE(3), ...I32_ADD, ...F64_CONVERT_I32_U, ...f64Store(16),
  ...get(4), ...laneSum(16), ...F64_PROMOTE_F32, ...f64Store(24),
  ...addTo(4, 32), ...get(2), ...i32c(1), ...I32_SUB, ...set(2), ...br(0),
  ...END, ...END,
];

const funcBody = (locals: Array<[number, number]>, code: number[]): number[] => {
  const body = [...vec(locals.map(([count, type]) => [...uleb(count), type])), ...code, ...END];
  return [...uleb(body.length), ...body];
};

/** The kernel module's bytes (about 1 KB). */
// biome-ignore format: one instruction group per line
export const KERNEL_WASM: Uint8Array<ArrayBuffer> = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([[F32]])], [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])),
  ...section(3, vec([[0], [1], [1]])),
  ...section(5, vec([[0x00, 1]])),
  ...section(7, vec([[...name("memory"), 0x02, 0], [...name("dot"), 0, 0], [...name("scanI8"), 0, 1], [...name("quantize"), 0, 2]])),
  ...section(10, vec([
    funcBody([[1, I32], [4, V128]], dot),
    funcBody([[2, I32], [5, V128]], scanI8),
    funcBody([[2, I32], [2, F32], [9, V128]], quantize),
  ])),
]);

let compiled: WebAssembly.Module | null | undefined;

/**
 * A fresh instance of the kernels (each with its own memory), or `undefined` when this runtime has no WebAssembly
 * or no SIMD support.
 */
export function instantiateKernels(): WasmKernelExports | undefined {
  if (compiled === undefined) {
    try {
      compiled =
        typeof WebAssembly === "object" && WebAssembly.validate(KERNEL_WASM)
          ? new WebAssembly.Module(KERNEL_WASM)
          : null;
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return undefined;
  return new WebAssembly.Instance(compiled, {}).exports as unknown as WasmKernelExports;
}
