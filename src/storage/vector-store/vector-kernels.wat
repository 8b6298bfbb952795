;; The WebAssembly SIMD (f32x4 / i16x8) kernels behind `SimpleVectorStore`, loaded by wasm-kernels.ts and wrapped by
;; vector-kernels.ts, whose JavaScript backend replays every summation order here: both write bit-identical results.
;; Measured win (shared bench, 2026-12-07): retrieve p50 0.82x raw-rag on the plain JS kernels, 0.025x on these;
;; ingest 1.13x -> 0.84x.
;;
;; Source of `vector-kernels-wasm.ts`: edit this file, then run `npm run build:wasm` (a test checks they match).
;;
;; Memory layout: none fixed. Every address is a byte offset into the exported memory, placed by the caller (the
;; 64-byte-aligned regions of vector-arena.ts); vector-kernels.ts grows the memory from JavaScript.
(module
  (memory (export "memory") 1)

  ;; Exact float32 dot product of $n floats ($n % 16 == 0) at byte offsets $a and $b. Lane j of accumulator k
  ;; sums the products at indices i ≡ 4k + j (mod 16); then ((s0 + s1) + (s2 + s3)), then
  ;; (lane0 + lane1) + (lane2 + lane3). No fused multiply-add: results are bit-for-bit reproducible.
  (func (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $end i32) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $s0 (f32x4.add (local.get $s0)
          (f32x4.mul (v128.load offset=0 (local.get $a)) (v128.load offset=0 (local.get $b)))))
        (local.set $s1 (f32x4.add (local.get $s1)
          (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
        (local.set $s2 (f32x4.add (local.get $s2)
          (f32x4.mul (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b)))))
        (local.set $s3 (f32x4.add (local.get $s3)
          (f32x4.mul (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br $next)))
    (f32.add
      (f32.add
        (f32x4.extract_lane 0 (local.tee $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1))
                                                        (f32x4.add (local.get $s2) (local.get $s3)))))
        (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))

  ;; For each of $count int8 rows of $n values ($n % 32 == 0, rows contiguous from $rows), the exact int32 dot
  ;; product with the $n int16 values at $q, stored at $out (one i32 per row). The caller keeps every partial
  ;; sum below 2^31 by choosing the int16 range.
  (func (export "scanI8") (param $q i32) (param $rows i32) (param $count i32) (param $n i32) (param $out i32)
    (local $end i32) (local $qp i32) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $r v128)
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $count)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $qp (local.get $q))
        (local.set $end (i32.add (local.get $rows) (local.get $n)))
        (block $rowDone
          (loop $chunk
            (br_if $rowDone (i32.ge_u (local.get $rows) (local.get $end)))
            (local.set $r (v128.load offset=0 (local.get $rows)))
            (local.set $a0 (i32x4.add (local.get $a0)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $r)) (v128.load offset=0 (local.get $qp)))))
            (local.set $a1 (i32x4.add (local.get $a1)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $r)) (v128.load offset=16 (local.get $qp)))))
            (local.set $r (v128.load offset=16 (local.get $rows)))
            (local.set $a2 (i32x4.add (local.get $a2)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $r)) (v128.load offset=32 (local.get $qp)))))
            (local.set $a3 (i32x4.add (local.get $a3)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $r)) (v128.load offset=48 (local.get $qp)))))
            (local.set $rows (i32.add (local.get $rows) (i32.const 32)))
            (local.set $qp (i32.add (local.get $qp) (i32.const 64)))
            (br $chunk)))
        (i32.store (local.get $out)
          (i32.add
            (i32.add
              (i32.add
                (i32x4.extract_lane 0 (local.tee $r (i32x4.add (i32x4.add (i32x4.add (local.get $a0) (local.get $a1))
                                                                          (local.get $a2))
                                                               (local.get $a3))))
                (i32x4.extract_lane 1 (local.get $r)))
              (i32x4.extract_lane 2 (local.get $r)))
            (i32x4.extract_lane 3 (local.get $r))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $row))))

  ;; Quantizes $count float32 rows of $n values ($n % 16 == 0) at $rows to int8 at $dst with the float32 scale
  ;; s = max|x| / 127: v = round-half-even(x * (127 / max|x|)), by the 1.5·2^23 trick (adding it rounds a float
  ;; of magnitude < 2^22 to an integer held in the low mantissa bits). Writes four f64 per row at $stats:
  ;; [s, Σ(x - s·v)², Σv², Σx²]; the two float sums are float32 (lane j sums the indices ≡ j mod 4, in order;
  ;; then (l0 + l1) + (l2 + l3)), and the caller turns them into rigorous upper bounds.
  (func (export "quantize") (param $rows i32) (param $dst i32) (param $count i32) (param $n i32) (param $stats i32)
    (local $end i32) (local $p i32) (local $mx f32) (local $s f32)
    (local $m v128) (local $inv v128) (local $sv v128) (local $x v128) (local $v v128) (local $d v128)
    (local $res v128) (local $xx v128) (local $vv v128) (local $v1 v128) (local $a v128) (local $b v128)
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $count)))
        (local.set $end (i32.add (local.get $rows) (i32.shl (local.get $n) (i32.const 2))))
        ;; m = lane-wise max |x|
        (local.set $m (v128.const i32x4 0 0 0 0))
        (local.set $p (local.get $rows))
        (block $maxDone
          (loop $max
            (br_if $maxDone (i32.ge_u (local.get $p) (local.get $end)))
            ;; |x| as bits: for non-negative floats the integer order is the numeric order, and i32x4.max_s is one
            ;; instruction (f32x4.max's NaN and ±0 handling takes several, on the loop's critical path)
            (local.set $m (i32x4.max_s (local.get $m) (f32x4.abs (v128.load (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $max)))
        (local.set $mx (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                                (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
        ;; scale from max: s = mx / 127, and 127 / mx (0 when mx is 0)
        (local.set $sv (f32x4.splat (local.tee $s (f32.div (local.get $mx) (f32.const 127)))))
        (local.set $inv (f32x4.splat (select (f32.div (f32.const 127) (local.get $mx)) (f32.const 0)
                                             (f32.gt (local.get $mx) (f32.const 0)))))
        (local.set $res (v128.const i32x4 0 0 0 0))
        (local.set $xx (v128.const i32x4 0 0 0 0))
        (local.set $vv (v128.const i32x4 0 0 0 0))
        ;; 16 values per iteration, in four groups of 4 (values 4g … 4g + 3); the float sums take the groups in
        ;; order, as 4 values per step would
        (block $quantDone
          (loop $quant
            (br_if $quantDone (i32.ge_u (local.get $rows) (local.get $end)))
            ;; g = 0
            (local.set $x (v128.load offset=0 (local.get $rows)))
            (local.set $v (i32x4.sub                                         ;; bits minus bits: v as i32
              (local.tee $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv))
                                       (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
              (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
            (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)    ;; v as float, exactly
              (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))))
            (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
            ;; g = 1
            (local.set $x (v128.load offset=16 (local.get $rows)))
            (local.set $v1 (i32x4.sub
              (local.tee $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv))
                                       (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
              (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
            (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)
              (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))))
            (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
            (local.set $a (i16x8.narrow_i32x4_s (local.get $v) (local.get $v1)))
            ;; g = 2
            (local.set $x (v128.load offset=32 (local.get $rows)))
            (local.set $v (i32x4.sub
              (local.tee $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv))
                                       (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
              (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
            (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)
              (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))))
            (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
            ;; g = 3
            (local.set $x (v128.load offset=48 (local.get $rows)))
            (local.set $v1 (i32x4.sub
              (local.tee $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv))
                                       (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
              (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
            (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)
              (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))))
            (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
            (local.set $b (i16x8.narrow_i32x4_s (local.get $v) (local.get $v1)))
            ;; the 16 int8 values, and Σv² (exact integers)
            (v128.store (local.get $dst) (i8x16.narrow_i16x8_s (local.get $a) (local.get $b)))
            (local.set $vv (i32x4.add (i32x4.add (local.get $vv) (i32x4.dot_i16x8_s (local.get $a) (local.get $a)))
                                      (i32x4.dot_i16x8_s (local.get $b) (local.get $b))))
            (local.set $rows (i32.add (local.get $rows) (i32.const 64)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $quant)))
        ;; the stats [s, Σd², Σv², Σx²]
        (f64.store offset=0 (local.get $stats) (f64.promote_f32 (local.get $s)))
        (f64.store offset=8 (local.get $stats) (f64.promote_f32
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $res)) (f32x4.extract_lane 1 (local.get $res)))
                   (f32.add (f32x4.extract_lane 2 (local.get $res)) (f32x4.extract_lane 3 (local.get $res))))))
        (f64.store offset=16 (local.get $stats) (f64.convert_i32_u
          (i32.add (i32.add (i32.add (i32x4.extract_lane 0 (local.get $vv)) (i32x4.extract_lane 1 (local.get $vv)))
                            (i32x4.extract_lane 2 (local.get $vv)))
                   (i32x4.extract_lane 3 (local.get $vv)))))
        (f64.store offset=24 (local.get $stats) (f64.promote_f32
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $xx)) (f32x4.extract_lane 1 (local.get $xx)))
                   (f32.add (f32x4.extract_lane 2 (local.get $xx)) (f32x4.extract_lane 3 (local.get $xx))))))
        (local.set $stats (i32.add (local.get $stats) (i32.const 32)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $row))))

  ;; Normalizes $count contiguous float32 rows of $n values ($n % 16 == 0, padding already zero) in place and
  ;; quantizes them: writeUnit then quantize, bit for bit, in one call. Rows go by pairs ($p1 = $p0 when a single
  ;; row is left, its sums then computed twice and used once): the first pass sums both rows' squares in the two
  ;; lanes of one f64x2 (each lane in index order, as JavaScript's loop does; the two rows' additions overlap,
  ;; instead of waiting on one another; 4 rows measured no faster) and keeps each row's lane-wise max |x|.
  (func (export "normalize") (param $rows i32) (param $dst i32) (param $count i32) (param $n i32) (param $stats i32)
      (param $norms i32)
    (local $bytes i32) (local $end i32) (local $p0 i32) (local $p1 i32)
    (local $sum v128) (local $m0 v128) (local $m1 v128) (local $la v128) (local $lb v128) (local $x v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $pair
        (br_if $done (i32.le_s (local.get $count) (i32.const 0)))
        (local.set $p0 (local.get $rows))
        (local.set $p1 (i32.add (local.get $rows)
          (select (local.get $bytes) (i32.const 0) (i32.gt_s (local.get $count) (i32.const 1)))))
        (local.set $end (i32.add (local.get $rows) (local.get $bytes)))
        (local.set $sum (v128.const i32x4 0 0 0 0))
        (local.set $m0 (v128.const i32x4 0 0 0 0))
        (local.set $m1 (v128.const i32x4 0 0 0 0))
        ;; sums of squares (float64, index order), max |x|
        (block $squaresDone
          (loop $squares
            (br_if $squaresDone (i32.ge_u (local.get $p0) (local.get $end)))
            (local.set $m0 (i32x4.max_s (f32x4.abs (v128.load (local.get $p0))) (local.get $m0)))  ;; as in quantize
            (local.set $m1 (i32x4.max_s (f32x4.abs (v128.load (local.get $p1))) (local.get $m1)))
            ;; values 0 and 1 of both rows, as f64, then values 2 and 3
            (local.set $la (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (local.get $p0))))
            (local.set $lb (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (local.get $p1))))
            (local.set $sum (f64x2.add
              (f64x2.add (local.get $sum)
                (f64x2.mul (local.tee $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                                           (local.get $la) (local.get $lb)))
                           (local.get $x)))
              (f64x2.mul (local.tee $x (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                                         (local.get $la) (local.get $lb)))
                         (local.get $x))))
            (local.set $la (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $p0))))
            (local.set $lb (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $p1))))
            (local.set $sum (f64x2.add
              (f64x2.add (local.get $sum)
                (f64x2.mul (local.tee $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                                           (local.get $la) (local.get $lb)))
                           (local.get $x)))
              (f64x2.mul (local.tee $x (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                                         (local.get $la) (local.get $lb)))
                         (local.get $x))))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
            (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
            (br $squares)))
        (call $unitRow (local.get $rows) (local.get $dst) (local.get $n) (local.get $stats) (local.get $norms)
          (f64x2.extract_lane 0 (local.get $sum))
          (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m0)) (f32x4.extract_lane 1 (local.get $m0)))
                   (f32.max (f32x4.extract_lane 2 (local.get $m0)) (f32x4.extract_lane 3 (local.get $m0)))))
        (if (i32.gt_s (local.get $count) (i32.const 1))
          (then
            (call $unitRow (i32.add (local.get $rows) (local.get $bytes)) (i32.add (local.get $dst) (local.get $n))
              (local.get $n) (i32.add (local.get $stats) (i32.const 32)) (i32.add (local.get $norms) (i32.const 8))
              (f64x2.extract_lane 1 (local.get $sum))
              (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m1)) (f32x4.extract_lane 1 (local.get $m1)))
                       (f32.max (f32x4.extract_lane 2 (local.get $m1)) (f32x4.extract_lane 3 (local.get $m1)))))))
        ;; the next two rows
        (local.set $rows (i32.add (local.get $rows) (i32.shl (local.get $bytes) (i32.const 1))))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 1))))
        (local.set $stats (i32.add (local.get $stats) (i32.const 64)))
        (local.set $norms (i32.add (local.get $norms) (i32.const 16)))
        (local.set $count (i32.sub (local.get $count) (i32.const 2)))
        (br $pair))))

  ;; One row of normalize, given its sum of squares and max |x|: writes norm = √sum at $norms; if norm > 0, each
  ;; x becomes x / norm (f64x2.div, correctly rounded like JavaScript's division, then demoted to float32: the
  ;; same double rounding as storing into a Float32Array), and the row is quantized as quantize does, with
  ;; max |x / norm| = demote(promote(max |x|) / norm) (division and rounding are monotonic); otherwise (norm 0,
  ;; or NaN) the row, its int8 copy and its stats become +0.
  (func $unitRow (param $p i32) (param $dst i32) (param $n i32) (param $stats i32) (param $norms i32)
      (param $sum f64) (param $max f32)
    (local $end i32) (local $norm f64) (local $mx f32) (local $s f32)
    (local $inv v128) (local $sv v128) (local $x v128) (local $v v128) (local $d v128) (local $res v128)
    (local $xx v128) (local $vv v128) (local $nv v128) (local $v1 v128) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (f64.store (local.get $norms) (local.tee $norm (f64.sqrt (local.get $sum))))
    (if (f64.gt (local.get $norm) (f64.const 0))
      (then
        ;; max |x / norm|, rounded as the row is
        (local.set $mx (f32.demote_f64 (f64.div (f64.promote_f32 (local.get $max)) (local.get $norm))))
        ;; scale from max, as in quantize
        (local.set $sv (f32x4.splat (local.tee $s (f32.div (local.get $mx) (f32.const 127)))))
        (local.set $inv (f32x4.splat (select (f32.div (f32.const 127) (local.get $mx)) (f32.const 0)
                                             (f32.gt (local.get $mx) (f32.const 0)))))
        (local.set $res (v128.const i32x4 0 0 0 0))
        (local.set $xx (v128.const i32x4 0 0 0 0))
        (local.set $vv (v128.const i32x4 0 0 0 0))
        (local.set $nv (f64x2.splat (local.get $norm)))
        (block $quantDone
          (loop $quant
            (br_if $quantDone (i32.ge_u (local.get $p) (local.get $end)))
            ;; as in quantize, where each group of 4 values is first divided and stored back
            ;; g = 0
            (v128.store offset=0 (local.get $p) (local.tee $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
                (v128.load64_zero offset=0 (local.get $p))) (local.get $nv)))
              (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
                (v128.load64_zero offset=8 (local.get $p))) (local.get $nv))))))
            (local.set $v (i32x4.sub
              (local.tee $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv))
                                       (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
              (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
            (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)
              (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))))
            (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
            ;; g = 1
            (v128.store offset=16 (local.get $p) (local.tee $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
                (v128.load64_zero offset=16 (local.get $p))) (local.get $nv)))
              (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
                (v128.load64_zero offset=24 (local.get $p))) (local.get $nv))))))
            (local.set $v1 (i32x4.sub
              (local.tee $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv))
                                       (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
              (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
            (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)
              (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))))
            (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
            (local.set $a (i16x8.narrow_i32x4_s (local.get $v) (local.get $v1)))
            ;; g = 2
            (v128.store offset=32 (local.get $p) (local.tee $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
                (v128.load64_zero offset=32 (local.get $p))) (local.get $nv)))
              (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
                (v128.load64_zero offset=40 (local.get $p))) (local.get $nv))))))
            (local.set $v (i32x4.sub
              (local.tee $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv))
                                       (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
              (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
            (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)
              (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))))
            (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
            ;; g = 3
            (v128.store offset=48 (local.get $p) (local.tee $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
                (v128.load64_zero offset=48 (local.get $p))) (local.get $nv)))
              (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4
                (v128.load64_zero offset=56 (local.get $p))) (local.get $nv))))))
            (local.set $v1 (i32x4.sub
              (local.tee $d (f32x4.add (f32x4.mul (local.get $x) (local.get $inv))
                                       (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
              (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))
            (local.set $d (f32x4.sub (local.get $x) (f32x4.mul (local.get $sv)
              (f32x4.sub (local.get $d) (v128.const f32x4 0x1.8p23 0x1.8p23 0x1.8p23 0x1.8p23)))))
            (local.set $res (f32x4.add (local.get $res) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $xx (f32x4.add (local.get $xx) (f32x4.mul (local.get $x) (local.get $x))))
            (local.set $b (i16x8.narrow_i32x4_s (local.get $v) (local.get $v1)))
            (v128.store (local.get $dst) (i8x16.narrow_i16x8_s (local.get $a) (local.get $b)))
            (local.set $vv (i32x4.add (i32x4.add (local.get $vv) (i32x4.dot_i16x8_s (local.get $a) (local.get $a)))
                                      (i32x4.dot_i16x8_s (local.get $b) (local.get $b))))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $quant)))
        ;; the stats, as in quantize
        (f64.store offset=0 (local.get $stats) (f64.promote_f32 (local.get $s)))
        (f64.store offset=8 (local.get $stats) (f64.promote_f32
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $res)) (f32x4.extract_lane 1 (local.get $res)))
                   (f32.add (f32x4.extract_lane 2 (local.get $res)) (f32x4.extract_lane 3 (local.get $res))))))
        (f64.store offset=16 (local.get $stats) (f64.convert_i32_u
          (i32.add (i32.add (i32.add (i32x4.extract_lane 0 (local.get $vv)) (i32x4.extract_lane 1 (local.get $vv)))
                            (i32x4.extract_lane 2 (local.get $vv)))
                   (i32x4.extract_lane 3 (local.get $vv)))))
        (f64.store offset=24 (local.get $stats) (f64.promote_f32
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $xx)) (f32x4.extract_lane 1 (local.get $xx)))
                   (f32.add (f32x4.extract_lane 2 (local.get $xx)) (f32x4.extract_lane 3 (local.get $xx)))))))
      (else
        ;; zero (or NaN) norm: +0 over the row and its int8 copy, four f64 +0 at $stats
        (block $zeroDone
          (loop $zero
            (br_if $zeroDone (i32.ge_u (local.get $p) (local.get $end)))
            (v128.store (local.get $p) (v128.const i32x4 0 0 0 0))
            (i32.store (local.get $dst) (i32.const 0))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (br $zero)))
        (f64.store offset=0 (local.get $stats) (f64.const 0))
        (f64.store offset=8 (local.get $stats) (f64.const 0))
        (f64.store offset=16 (local.get $stats) (f64.const 0))
        (f64.store offset=24 (local.get $stats) (f64.const 0)))))
)
