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
 *   ;; Quantizes $count float32 rows of $n values ($n % 16 == 0) at $rows to int8 at $dst with the float32 scale
 *   ;; s = max|x| / 127: v = round-half-even(x * (127 / max|x|)), by the 1.5·2^23 trick (adding it rounds a float
 *   ;; of magnitude < 2^22 to an integer held in the low mantissa bits). Writes four f64 per row at $stats:
 *   ;; [s, Σ(x - s·v)², Σv², Σx²]; the two float sums are float32 (lane j sums the indices ≡ j mod 4, in order;
 *   ;; then (l0 + l1) + (l2 + l3)), and the caller turns them into rigorous upper bounds.
 *   (func (export "quantize") (param $rows i32) (param $dst i32) (param $count i32) (param $n i32) (param $stats i32)
 *     (local $end i32) (local $p i32) (local $mx f32) (local $s f32) (local $m v128) (local $inv v128) (local $sv v128)
 *     (local $x v128) (local $v v128) (local $d v128) (local $res v128) (local $xx v128) (local $vv v128)
 *     (local $v1 v128) (local $a v128) (local $b v128)
 *     (block $done (loop $row
 *       (br_if $done (i32.eqz (local.get $count)))
 *       (local.set $end (i32.add (local.get $rows) (i32.shl (local.get $n) (i32.const 2))))
 *       (local.set $m (v128.const i32x4 0 0 0 0))
 *       (local.set $p (local.get $rows))
 *       (block $b1 (loop $l1                                   ;; m = lane-wise max |x|
 *         (br_if $b1 (i32.ge_u (local.get $p) (local.get $end)))
 *         ;; |x| as bits: for non-negative floats the integer order is the numeric order, and i32x4.max_s is one
 *         ;; instruction (f32x4.max's NaN and ±0 handling takes several, on the loop's critical path)
 *         (local.set $m (i32x4.max_s (local.get $m) (f32x4.abs (v128.load (local.get $p)))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *         (br $l1)))
 *       (local.set $mx (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
 *                               (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
 *       ;; scaleFromMax:
 *       (local.set $sv (f32x4.splat (local.tee $s (f32.div (local.get $mx) (f32.const 127)))))
 *       (local.set $inv (f32x4.splat (select (f32.div (f32.const 127) (local.get $mx)) (f32.const 0)
 *                                            (f32.gt (local.get $mx) (f32.const 0)))))
 *       (local.set $res (v128.const i32x4 0 0 0 0)) ;; ... and $xx $vv
 *       (block $b2 (loop $l2                                   ;; quantize16: 16 values per iteration
 *         (br_if $b2 (i32.ge_u (local.get $rows) (local.get $end)))
 *         ;; for g = 0, 1, 2, 3 (values 4g … 4g + 3), $v0 being $v for even g and $v1 for odd g:
 *         (local.set $x (v128.load offset=16g (local.get $rows)))
 *         (local.set $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv)) (v128.const f32x4 0x1.8p23 ...)))
 *         (local.set $v0 (i32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 ...)))  ;; bits minus bits: v as i32
 *         (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)
 *           (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 ...)))))       ;; v as float, exactly
 *         (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
 *         (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
 *         ;; after g = 1 and g = 3:
 *         (local.set $a (i16x8.narrow_i32x4_s (local.get $v) (local.get $v1)))  ;; $b after g = 3
 *         ;; then:
 *         (v128.store (local.get $dst) (i8x16.narrow_i16x8_s (local.get $a) (local.get $b)))
 *         (local.set $vv (i32x4.add (i32x4.add (local.get $vv) (i32x4.dot_i16x8_s (local.get $a) (local.get $a)))
 *                                   (i32x4.dot_i16x8_s (local.get $b) (local.get $b))))  ;; exact integers
 *         (local.set $rows (i32.add (local.get $rows) (i32.const 64)))
 *         (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
 *         (br $l2)))
 *       ;; storeStats:
 *       (f64.store offset=0 (local.get $stats) (f64.promote_f32 (local.get $s)))
 *       (f64.store offset=8 (local.get $stats) (f64.promote_f32 (f32.add
 *         (f32.add (f32x4.extract_lane 0 (local.get $res)) (f32x4.extract_lane 1 (local.get $res)))
 *         (f32.add (f32x4.extract_lane 2 (local.get $res)) (f32x4.extract_lane 3 (local.get $res))))))
 *       (f64.store offset=16 (local.get $stats) (f64.convert_i32_u (i32.add ... the 4 lanes of $vv)))
 *       (f64.store offset=24 (local.get $stats) (f64.promote_f32 ... the 4 lanes of $xx, summed like $res))
 *       (local.set $stats (i32.add (local.get $stats) (i32.const 32)))
 *       (local.set $count (i32.sub (local.get $count) (i32.const 1)))
 *       (br $row))))
 *
 *   ;; Normalizes $count contiguous float32 rows of $n values ($n % 16 == 0, padding already zero) in place and
 *   ;; quantizes them: writeUnit then quantize, bit for bit, in one call. Rows go by pairs ($p1 = $p0 when a single
 *   ;; row is left): the first pass sums both rows' squares in the two lanes of one f64x2 (each lane in index order,
 *   ;; as JavaScript's loop does; the two rows' additions overlap) and keeps each row's lane-wise max |x|.
 *   (func (export "normalize") (param $rows i32) (param $dst i32) (param $count i32) (param $n i32) (param $stats i32)
 *       (param $norms i32)
 *     (local $bytes i32) (local $end i32) (local $p0 i32) (local $p1 i32)
 *     (local $sum v128) (local $m0 v128) (local $m1 v128) (local $la v128) (local $lb v128) (local $x v128)
 *     (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
 *     (block $done (loop $pair
 *       (br_if $done (i32.le_s (local.get $count) (i32.const 0)))
 *       (local.set $p0 (local.get $rows))
 *       (local.set $p1 (i32.add (local.get $rows) (i32.mul (select (i32.const 1) (i32.const 0)
 *                                         (i32.gt_s (local.get $count) (i32.const 1))) (local.get $bytes))))
 *       (local.set $end (i32.add (local.get $rows) (local.get $bytes)))
 *       (local.set $sum (v128.const i32x4 0 0 0 0)) ;; ... and $m0 $m1
 *       (block $b1 (loop $l1
 *         (br_if $b1 (i32.ge_u (local.get $p0) (local.get $end)))
 *         (local.set $m0 (i32x4.max_s (f32x4.abs (v128.load (local.get $p0))) (local.get $m0)))  ;; as in quantize
 *         (local.set $m1 (i32x4.max_s (f32x4.abs (v128.load (local.get $p1))) (local.get $m1)))
 *         ;; for offset = 0, 8: values offset/4 and offset/4 + 1 of both rows, as f64
 *         (local.set $la (f64x2.promote_low_f32x4 (v128.load64_zero offset=offset (local.get $p0))))
 *         (local.set $lb (f64x2.promote_low_f32x4 (v128.load64_zero offset=offset (local.get $p1))))
 *         (local.set $sum (f64x2.add (f64x2.add (local.get $sum)
 *             (f64x2.mul (local.tee $x (i8x16.shuffle 0…7 16…23 (local.get $la) (local.get $lb))) (local.get $x)))
 *           (f64x2.mul (local.tee $x (i8x16.shuffle 8…15 24…31 (local.get $la) (local.get $lb))) (local.get $x))))
 *         (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))  ;; and $p1
 *         (br $l1)))
 *       (call $unitRow (local.get $rows) (local.get $dst) (local.get $n) (local.get $stats) (local.get $norms)
 *         (f64x2.extract_lane 0 (local.get $sum)) (f32.max … the 4 lanes of $m0))
 *       (if (i32.gt_s (local.get $count) (i32.const 1)) (then
 *         (call $unitRow (i32.add (local.get $rows) (local.get $bytes)) (i32.add (local.get $dst) (local.get $n))
 *           (local.get $n) (i32.add (local.get $stats) (i32.const 32)) (i32.add (local.get $norms) (i32.const 8))
 *           (f64x2.extract_lane 1 (local.get $sum)) (f32.max … the 4 lanes of $m1))))
 *       ;; $rows += 2 rows, $dst += 2 int8 rows, $stats += 64, $norms += 16, $count -= 2
 *       (br $pair)))
 *
 *   ;; One row of normalize, given its sum of squares and max |x|: writes norm = √sum at $norms; if norm > 0, each
 *   ;; x becomes x / norm (f64x2.div, correctly rounded like JavaScript's division, then demoted to float32: the
 *   ;; same double rounding as storing into a Float32Array), and the row is quantized as quantize does, with
 *   ;; max |x / norm| = demote(promote(max |x|) / norm) (division and rounding are monotonic); otherwise (norm 0,
 *   ;; or NaN) the row, its int8 copy and its stats become +0.
 *   (func $unitRow (param $p i32) (param $dst i32) (param $n i32) (param $stats i32) (param $norms i32)
 *       (param $sum f64) (param $max f32)
 *     (local $end i32) (local $norm f64) (local $mx f32) (local $s f32) (local $inv v128) … (local $nv v128)
 *     (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
 *     (f64.store (local.get $norms) (local.tee $norm (f64.sqrt (local.get $sum))))
 *     (if (f64.gt (local.get $norm) (f64.const 0))
 *       (then
 *         (local.set $mx (f32.demote_f64 (f64.div (f64.promote_f32 (local.get $max)) (local.get $norm))))
 *         ;; scaleFromMax, as in quantize
 *         (local.set $nv (f64x2.splat (local.get $norm)))
 *         (block $b (loop $l
 *           (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
 *           ;; quantize16, where value group g is first divided and stored back:
 *           (v128.store offset=16g (local.get $p) (local.tee $x (i8x16.shuffle 0…7 16…23
 *             (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
 *               (v128.load64_zero offset=16g (local.get $p))) (local.get $nv)))
 *             (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
 *               (v128.load64_zero offset=16g+8 (local.get $p))) (local.get $nv))))))
 *           (local.set $p (i32.add (local.get $p) (i32.const 64)))
 *           (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
 *           (br $l)))
 *         ;; storeStats, as in quantize
 *       )
 *       (else
 *         ;; +0 over the row (v128 stores) and its int8 copy (i32 stores), four f64 +0 at $stats
 *       )))
 * )
 * ```
 *
 * @module
 */

import {
  addTo,
  BLOCK,
  br,
  brIf,
  ELSE,
  END,
  F32,
  F32_ADD,
  F32_DEMOTE_F64,
  F32_DIV,
  F32_GT,
  F32_MAX,
  F32X4_ABS,
  F32X4_ADD,
  F32X4_DEMOTE_F64X2_ZERO,
  F32X4_LANE,
  F32X4_MUL,
  F32X4_SPLAT,
  F32X4_SUB,
  F64,
  F64_CONVERT_I32_U,
  F64_DIV,
  F64_GT,
  F64_PROMOTE_F32,
  F64_SQRT,
  F64_ZERO,
  F64X2_ADD,
  F64X2_DIV,
  F64X2_LANE,
  F64X2_MUL,
  F64X2_PROMOTE_LOW_F32X4,
  F64X2_SPLAT,
  f32c,
  f64Store,
  get,
  HIGH_HALVES,
  I8X16_NARROW_I16X8_S,
  I16X8_EXTEND_HIGH_I8X16_S,
  I16X8_EXTEND_LOW_I8X16_S,
  I16X8_NARROW_I32X4_S,
  I32,
  I32_ADD,
  I32_EQZ,
  I32_GE_U,
  I32_GT_S,
  I32_LE_S,
  I32_MUL,
  I32_SHL,
  I32_STORE,
  I32_SUB,
  I32X4_ADD,
  I32X4_DOT_I16X8_S,
  I32X4_LANE,
  I32X4_MAX_S,
  I32X4_SUB,
  IF,
  i32c,
  LOOP,
  LOW_HALVES,
  load64Zero,
  MAGIC,
  name,
  SELECT,
  section,
  set,
  tee,
  uleb,
  V128,
  V128_ZERO,
  v128Load,
  v128Store,
  vec,
} from "./wasm-encoding.js";

/** The functions the kernel module exports (byte offsets into its own memory). */
export interface WasmKernelExports {
  memory: WebAssembly.Memory;
  dot(a: number, b: number, n: number): number;
  scanI8(q: number, rows: number, count: number, n: number, out: number): void;
  quantize(rows: number, dst: number, count: number, n: number, stats: number): void;
  normalize(rows: number, dst: number, count: number, n: number, stats: number, norms: number): void;
}

/** `call $unitRow`: the fifth function of the module (see the section list at the end). */
const CALL_UNIT_ROW = [0x10, 4];

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

/** Local indices of the quantization steps shared by `quantize` and `normalize`. */
interface QuantizeLocals {
  rows: number;
  dst: number;
  stats: number;
  mx: number;
  s: number;
  inv: number;
  sv: number;
  x: number;
  v: number;
  d: number;
  res: number;
  xx: number;
  vv: number;
  v1: number;
  a: number;
  b: number;
}
// biome-ignore format: one instruction group per line
const laneSum = (local: number) => [
  ...get(local), ...F32X4_LANE(0), ...get(local), ...F32X4_LANE(1), ...F32_ADD,
  ...get(local), ...F32X4_LANE(2), ...get(local), ...F32X4_LANE(3), ...F32_ADD, ...F32_ADD,
];
/** The largest of an f32x4's lanes. */
// biome-ignore format: one instruction group per line
const laneMax = (local: number) => [
  ...get(local), ...F32X4_LANE(0), ...get(local), ...F32X4_LANE(1), ...F32_MAX,
  ...get(local), ...F32X4_LANE(2), ...get(local), ...F32X4_LANE(3), ...F32_MAX, ...F32_MAX,
];
/** From the row's max |x| in `mx`: s = mx / 127, the splats of s and 127 / mx (0 when mx = 0), zero sums. */
// biome-ignore format: one instruction group per line
const scaleFromMax = (L: QuantizeLocals) => [
  ...get(L.mx), ...f32c(127), ...F32_DIV, ...tee(L.s), ...F32X4_SPLAT, ...set(L.sv),
  ...f32c(127), ...get(L.mx), ...F32_DIV, ...f32c(0), ...get(L.mx), ...f32c(0), ...F32_GT, ...SELECT, ...F32X4_SPLAT, ...set(L.inv),
  ...V128_ZERO, ...set(L.res), ...V128_ZERO, ...set(L.xx), ...V128_ZERO, ...set(L.vv),
];
/**
 * Quantizes 16 floats to int8 at `dst` (one store) and adds them to the three sums; `loadX(g)` leaves floats
 * 4g…4g + 3 in `x`. The float sums take the 4-float groups in order, as 4 floats per step would.
 */
// biome-ignore format: one instruction group per line
const quantize16 = (L: QuantizeLocals, loadX: (g: number) => number[]) => [
  ...[0, 1, 2, 3].flatMap((g) => [
    ...loadX(g),
    ...get(L.x), ...get(L.inv), ...F32X4_MUL, ...MAGIC, ...F32X4_ADD, ...tee(L.d), ...MAGIC, ...I32X4_SUB, ...set(g % 2 === 0 ? L.v : L.v1),
    ...get(L.x), ...get(L.sv), ...get(L.d), ...MAGIC, ...F32X4_SUB, ...F32X4_MUL, ...F32X4_SUB, ...set(L.d),
    ...get(L.res), ...get(L.d), ...get(L.d), ...F32X4_MUL, ...F32X4_ADD, ...set(L.res),
    ...get(L.xx), ...get(L.x), ...get(L.x), ...F32X4_MUL, ...F32X4_ADD, ...set(L.xx),
    ...(g % 2 === 1 ? [...get(L.v), ...get(L.v1), ...I16X8_NARROW_I32X4_S, ...set(g === 1 ? L.a : L.b)] : []),
  ]),
  ...get(L.dst), ...get(L.a), ...get(L.b), ...I8X16_NARROW_I16X8_S, ...v128Store(),
  ...get(L.vv), ...get(L.a), ...get(L.a), ...I32X4_DOT_I16X8_S, ...I32X4_ADD,
  ...get(L.b), ...get(L.b), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(L.vv),
];
/** Writes the row's [s, Σd², Σv², Σx²] at `stats`. */
// biome-ignore format: one instruction group per line
const storeStats = (L: QuantizeLocals) => [
  ...get(L.stats), ...get(L.s), ...F64_PROMOTE_F32, ...f64Store(0),
  ...get(L.stats), ...laneSum(L.res), ...F64_PROMOTE_F32, ...f64Store(8),
  ...get(L.stats), ...get(L.vv), ...I32X4_LANE(0), ...get(L.vv), ...I32X4_LANE(1), ...I32_ADD, ...get(L.vv), ...I32X4_LANE(2),
  ...I32_ADD, ...get(L.vv), ...I32X4_LANE(3), ...I32_ADD, ...F64_CONVERT_I32_U, ...f64Store(16),
  ...get(L.stats), ...laneSum(L.xx), ...F64_PROMOTE_F32, ...f64Store(24),
];

// quantize: params rows=0 dst=1 count=2 n=3 stats=4; locals end=5 p=6 (i32) mx=7 s=8 (f32)
// m=9 inv=10 sv=11 x=12 v=13 d=14 res=15 xx=16 vv=17 (v128).
// biome-ignore format: one line
const Q: QuantizeLocals = { rows: 0, dst: 1, stats: 4, mx: 7, s: 8, inv: 10, sv: 11, x: 12, v: 13, d: 14, res: 15, xx: 16, vv: 17, v1: 18, a: 19, b: 20 };
// biome-ignore format: one instruction group per line
const quantize = [
  ...BLOCK, ...LOOP,
  ...get(2), ...I32_EQZ, ...brIf(1),
  ...get(0), ...get(3), ...i32c(2), ...I32_SHL, ...I32_ADD, ...set(5),
  ...V128_ZERO, ...set(9), ...get(0), ...set(6),
  ...BLOCK, ...LOOP,
  ...get(6), ...get(5), ...I32_GE_U, ...brIf(1),
  ...get(9), ...get(6), ...v128Load(), ...F32X4_ABS, ...I32X4_MAX_S, ...set(9),
  ...addTo(6, 16), ...br(0),
  ...END, ...END,
  ...laneMax(9), ...set(7),
  ...scaleFromMax(Q),
  ...BLOCK, ...LOOP,
  ...get(0), ...get(5), ...I32_GE_U, ...brIf(1),
  ...quantize16(Q, (g) => [...get(0), ...v128Load(16 * g), ...set(12)]),
  ...addTo(0, 64), ...addTo(1, 16), ...br(0),
  ...END, ...END,
  ...storeStats(Q),
  ...addTo(4, 32), ...get(2), ...i32c(1), ...I32_SUB, ...set(2), ...br(0),
  ...END, ...END,
];

// unitRow (internal): params p=0 dst=1 n=2 stats=3 norms=4 (i32) sum=5 (f64) max=6 (f32); locals end=7 (i32) norm=8
// (f64) mx=9 s=10 (f32) inv=11 sv=12 x=13 v=14 d=15 res=16 xx=17 vv=18 nv=19 v1=20 a=21 b=22 (v128).
// biome-ignore format: one line
const U: QuantizeLocals = { rows: 0, dst: 1, stats: 3, mx: 9, s: 10, inv: 11, sv: 12, x: 13, v: 14, d: 15, res: 16, xx: 17, vv: 18, v1: 20, a: 21, b: 22 };
/** Row elements at `p + offset`, `p + offset + 4` divided by the norm: float64 division, rounded to float32. */
// biome-ignore format: one instruction group per line
const unitPair = (offset: number) => [
  ...get(0), ...load64Zero(offset), ...F64X2_PROMOTE_LOW_F32X4, ...get(19), ...F64X2_DIV, ...F32X4_DEMOTE_F64X2_ZERO,
];
// biome-ignore format: one instruction group per line
const unitRow = [
  ...get(0), ...get(2), ...i32c(2), ...I32_SHL, ...I32_ADD, ...set(7),
  ...get(4), ...get(5), ...F64_SQRT, ...tee(8), ...f64Store(0),
  ...get(8), ...F64_ZERO, ...F64_GT,
  ...IF,
  ...get(6), ...F64_PROMOTE_F32, ...get(8), ...F64_DIV, ...F32_DEMOTE_F64, ...set(9),  // max |x / norm|, rounded as the row is
  ...scaleFromMax(U),
  ...get(8), ...F64X2_SPLAT, ...set(19),
  ...BLOCK, ...LOOP,
  ...get(0), ...get(7), ...I32_GE_U, ...brIf(1),
  ...quantize16(U, (g) => [...get(0), ...unitPair(16 * g), ...unitPair(16 * g + 8), ...LOW_HALVES, ...tee(13), ...v128Store(16 * g)]),
  ...addTo(0, 64), ...addTo(1, 16), ...br(0),
  ...END, ...END,
  ...storeStats(U),
  ...ELSE,                                                      // zero (or NaN) norm: all zeros
  ...BLOCK, ...LOOP,
  ...get(0), ...get(7), ...I32_GE_U, ...brIf(1),
  ...get(0), ...V128_ZERO, ...v128Store(), ...get(1), ...i32c(0), ...I32_STORE,
  ...addTo(0, 16), ...addTo(1, 4), ...br(0),
  ...END, ...END,
  ...[0, 8, 16, 24].flatMap((offset) => [...get(3), ...F64_ZERO, ...f64Store(offset)]),
  ...END,
];

/**
 * Rows per group of `normalize`'s first pass: an f64x2 sum runs two rows' index-order sums in its two lanes, so the
 * float64 additions of two rows overlap instead of waiting on one another (4 rows measured no faster).
 */
const GROUP = 2;
// normalize: params rows=0 dst=1 count=2 n=3 stats=4 norms=5; locals bytes=6 end=7 p0…=8… (i32); sums (one per
// pair of rows), maxes (one per row), la, lb, x (v128).
const P0 = 8;
const SUM0 = P0 + GROUP;
const MAX0 = SUM0 + GROUP / 2;
const LA = MAX0 + GROUP;
const LB = LA + 1;
const X = LB + 1;
/** Adds the squares of the two rows' f64 pairs in `la`, `lb` (lanes 0 then lanes 1) to sum `pair`, in order. */
// biome-ignore format: one instruction group per line
const addSquares = (pair: number) => [
  ...get(SUM0 + pair), ...get(LA), ...get(LB), ...LOW_HALVES, ...tee(X), ...get(X), ...F64X2_MUL, ...F64X2_ADD,
  ...get(LA), ...get(LB), ...HIGH_HALVES, ...tee(X), ...get(X), ...F64X2_MUL, ...F64X2_ADD, ...set(SUM0 + pair),
];
const rows = Array.from({ length: GROUP }, (_, k) => k);
// biome-ignore format: one instruction group per line
const normalize = [
  ...get(3), ...i32c(2), ...I32_SHL, ...set(6),
  ...BLOCK, ...LOOP,
  ...get(2), ...i32c(0), ...I32_LE_S, ...brIf(1),
  // Row k of the group, or the last row when the group is short (its sums are then computed twice, used once).
  ...rows.flatMap((k) => [
    ...get(0), ...i32c(k), ...get(2), ...i32c(1), ...I32_SUB, ...get(2), ...i32c(k), ...I32_GT_S, ...SELECT,
    ...get(6), ...I32_MUL, ...I32_ADD, ...set(P0 + k),
  ]),
  ...get(0), ...get(6), ...I32_ADD, ...set(7),
  ...rows.flatMap((k) => (k % 2 === 0 ? [...V128_ZERO, ...set(SUM0 + k / 2)] : [])),
  ...rows.flatMap((k) => [...V128_ZERO, ...set(MAX0 + k)]),
  ...BLOCK, ...LOOP,                                            // sums of squares (float64, index order), max |x|
  ...get(P0), ...get(7), ...I32_GE_U, ...brIf(1),
  ...rows.flatMap((k) => [
    ...get(P0 + k), ...v128Load(), ...F32X4_ABS, ...get(MAX0 + k), ...I32X4_MAX_S, ...set(MAX0 + k),
  ]),
  ...[0, 8].flatMap((offset) =>
    rows.filter((k) => k % 2 === 0).flatMap((k) => [
      ...get(P0 + k), ...load64Zero(offset), ...F64X2_PROMOTE_LOW_F32X4, ...set(LA),
      ...get(P0 + k + 1), ...load64Zero(offset), ...F64X2_PROMOTE_LOW_F32X4, ...set(LB),
      ...addSquares(k / 2),
    ]),
  ),
  ...rows.flatMap((k) => addTo(P0 + k, 16)), ...br(0),
  ...END, ...END,
  ...rows.flatMap((k) => {
    const call = [
      ...get(0), ...get(6), ...i32c(k), ...I32_MUL, ...I32_ADD,
      ...get(1), ...get(3), ...i32c(k), ...I32_MUL, ...I32_ADD,
      ...get(3),
      ...get(4), ...i32c(32 * k), ...I32_ADD,
      ...get(5), ...i32c(8 * k), ...I32_ADD,
      ...get(SUM0 + (k >> 1)), ...F64X2_LANE(k & 1), ...laneMax(MAX0 + k), ...CALL_UNIT_ROW,
    ];
    return k === 0 ? call : [...get(2), ...i32c(k), ...I32_GT_S, ...IF, ...call, ...END];
  }),
  ...get(0), ...get(6), ...i32c(GROUP), ...I32_MUL, ...I32_ADD, ...set(0),
  ...get(1), ...get(3), ...i32c(GROUP), ...I32_MUL, ...I32_ADD, ...set(1),
  ...addTo(4, 32 * GROUP), ...addTo(5, 8 * GROUP), ...addTo(2, -GROUP), ...br(0),
  ...END, ...END,
];

const funcBody = (locals: Array<[number, number]>, code: number[]): number[] => {
  const body = [...vec(locals.map(([count, type]) => [...uleb(count), type])), ...code, ...END];
  return [...uleb(body.length), ...body];
};

/** The kernel module's bytes (about 3 KB). */
// biome-ignore format: one instruction group per line
export const KERNEL_WASM: Uint8Array<ArrayBuffer> = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, vec([
    [0x60, ...vec([[I32], [I32], [I32]]), ...vec([[F32]])],
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0],
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), 0],
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [F64], [F32]]), 0],
  ])),
  ...section(3, vec([[0], [1], [1], [2], [3]])),
  ...section(5, vec([[0x00, 1]])),
  ...section(7, vec([
    [...name("memory"), 0x02, 0], [...name("dot"), 0, 0], [...name("scanI8"), 0, 1], [...name("quantize"), 0, 2],
    [...name("normalize"), 0, 3],
  ])),
  ...section(10, vec([
    funcBody([[1, I32], [4, V128]], dot),
    funcBody([[2, I32], [5, V128]], scanI8),
    funcBody([[2, I32], [2, F32], [12, V128]], quantize),
    funcBody([[2 + GROUP, I32], [GROUP / 2 + GROUP + 3, V128]], normalize),
    funcBody([[1, I32], [1, F64], [2, F32], [12, V128]], unitRow),
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
