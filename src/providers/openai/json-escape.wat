;; The JSON string escaper behind `JsonStringWriter` (json-string-writer.ts): copies UTF-8 bytes, escaping what
;; `JSON.stringify` escapes in a well-formed string: `"` and `\` get a backslash, \b \t \n \f \r their short form,
;; other bytes below 0x20 `\u00xx` (lowercase hex). Every other byte, ASCII or part of a UTF-8 sequence, is copied.
;; Sixteen bytes at a time are tested with SIMD; a block without any of those bytes is stored whole.
;;
;; Source of `json-escape-wasm.ts`: edit this file, then run `npm run build:wasm` (a test checks they match).
;;
;; Memory layout (byte offsets):
;;   0..31    escape letter of each byte below 0x20 (`u` for `\u00xx`)
;;   32..47   lowercase hex digits
;;   64..     the input and output areas, placed by JS; the output needs 6 bytes per input byte plus 16
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "uuuuuuuubtnufruuuuuuuuuuuuuuuuuu0123456789abcdef")

  ;; Writes the escape of byte $c (a control character, `"` or `\`) at $out; returns the address after it.
  (func $escape1 (param $c i32) (param $out i32) (result i32)
    (local $e i32)
    (i32.store8 (local.get $out) (i32.const 0x5c))
    (if (i32.ge_u (local.get $c) (i32.const 0x20))
      (then
        (i32.store8 offset=1 (local.get $out) (local.get $c))
        (return (i32.add (local.get $out) (i32.const 2)))))
    (local.set $e (i32.load8_u (local.get $c)))
    (i32.store8 offset=1 (local.get $out) (local.get $e))
    (if (i32.ne (local.get $e) (i32.const 0x75))
      (then (return (i32.add (local.get $out) (i32.const 2)))))
    (i32.store16 offset=2 (local.get $out) (i32.const 0x3030))
    (i32.store8 offset=4 (local.get $out) (i32.load8_u offset=32 (i32.shr_u (local.get $c) (i32.const 4))))
    (i32.store8 offset=5 (local.get $out) (i32.load8_u offset=32 (i32.and (local.get $c) (i32.const 15))))
    (i32.add (local.get $out) (i32.const 6)))

  ;; Escapes the $n bytes at $src into $dst; returns the number of bytes written.
  (func (export "escape") (param $src i32) (param $n i32) (param $dst i32) (result i32)
    (local $end i32) (local $out i32) (local $v v128) (local $mask i32) (local $k i32) (local $c i32)
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (local.set $out (local.get $dst))
    (block $tail
      (loop $block
        (br_if $tail (i32.lt_u (i32.sub (local.get $end) (local.get $src)) (i32.const 16)))
        (local.set $v (v128.load (local.get $src)))
        (local.set $mask
          (i8x16.bitmask
            (v128.or
              (i8x16.lt_u (local.get $v) (v128.const i8x16 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32))
              (v128.or
                (i8x16.eq (local.get $v) (v128.const i8x16 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34))
                (i8x16.eq (local.get $v) (v128.const i8x16 92 92 92 92 92 92 92 92 92 92 92 92 92 92 92 92))))))
        ;; The whole block is stored; only the bytes before the first escaped one are kept.
        (v128.store (local.get $out) (local.get $v))
        (if (i32.eqz (local.get $mask))
          (then
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (br $block)))
        (local.set $k (i32.ctz (local.get $mask)))
        (local.set $src (i32.add (local.get $src) (local.get $k)))
        (local.set $out
          (call $escape1 (i32.load8_u (local.get $src)) (i32.add (local.get $out) (local.get $k))))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (br $block)))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $src)))
        (if (i32.or (i32.lt_u (local.get $c) (i32.const 0x20))
                    (i32.or (i32.eq (local.get $c) (i32.const 0x22)) (i32.eq (local.get $c) (i32.const 0x5c))))
          (then (local.set $out (call $escape1 (local.get $c) (local.get $out))))
          (else
            (i32.store8 (local.get $out) (local.get $c))
            (local.set $out (i32.add (local.get $out) (i32.const 1)))))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (br $byte)))
    (i32.sub (local.get $out) (local.get $dst))))
