;; The cl100k pre-token scanner and token-count cache behind `Cl100kCounter` (token-counter.ts), for ASCII text.
;; It scans pre-tokens exactly as `nextCl100kPiece` (cl100k-pretokenizer.ts) does and sums their token counts, cached
;; by content; whenever a decision needs the class of a code unit >= 128 it stops and returns the start of that
;; pre-token, which the caller scans in JavaScript (full Unicode) before calling back.
;;
;; Source of `cl100k-scan-wasm.ts`: edit this file, then run `npm run build:wasm` (a test checks they match).
;;
;; Memory layout (byte offsets):
;;   0..127           class of each ASCII code unit (1 other, 2 letter, 3 number, 4 space, 5 \r or \n), set by JS
;;   128, 132         running token total and pre-token count (read and written by `scan`)
;;   1024             count cache: 65536 slots of 16 bytes [hash, key address, key length (0 = empty), count]
;;   1049600          key bytes (2 MiB); keys are ASCII, one byte per code unit
;;   4194304          the text, UTF-16 code units (2 bytes each), written by JS
;;   anywhere after   the pre-token log: `cap` starts (i32) then `cap` running totals (i32), given by JS
(module
  (import "env" "miss" (func $miss (param i32 i32) (result i32)))
  (memory (export "memory") 64)
  (global $poolUsed (mut i32) (i32.const 0))
  (global $entries (mut i32) (i32.const 0))

  ;; End of the run of class $want starting at $i, or -1 if a code unit >= 128 comes first.
  (func $run (param $i i32) (param $end i32) (param $want i32) (result i32)
    (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load16_u offset=4194304 (i32.shl (local.get $i) (i32.const 1))))
        (if (i32.ge_u (local.get $c) (i32.const 128)) (then (return (i32.const -1))))
        (br_if $done (i32.ne (i32.load8_u (local.get $c)) (local.get $want)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i))

  (func $lower (param $c i32) (result i32)
    (select (i32.add (local.get $c) (i32.const 32)) (local.get $c)
      (i32.lt_u (i32.sub (local.get $c) (i32.const 0x41)) (i32.const 26))))

  ;; End of the pre-token starting at $p (< $end), $end acting as the end of the input; -1 when it depends on a
  ;; code unit >= 128. The branches follow `nextCl100kPiece` in order.
  (func $piece (param $p i32) (param $end i32) (result i32)
    (local $c0 i32) (local $k0 i32) (local $p1 i32) (local $k1 i32) (local $a i32) (local $b i32)
    (local $r i32) (local $w i32) (local $nl i32) (local $c i32)
    (local.set $c0 (i32.load16_u offset=4194304 (i32.shl (local.get $p) (i32.const 1))))
    (if (i32.ge_u (local.get $c0) (i32.const 128)) (then (return (i32.const -1))))
    (local.set $p1 (i32.add (local.get $p) (i32.const 1)))
    ;; '(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE])
    (if (i32.and (i32.eq (local.get $c0) (i32.const 0x27)) (i32.lt_u (local.get $p1) (local.get $end)))
      (then
        (local.set $a (call $lower (i32.load16_u offset=4194304 (i32.shl (local.get $p1) (i32.const 1)))))
        (if (i32.or (i32.or (i32.eq (local.get $a) (i32.const 0x73)) (i32.eq (local.get $a) (i32.const 0x64)))
                    (i32.or (i32.eq (local.get $a) (i32.const 0x6d)) (i32.eq (local.get $a) (i32.const 0x74))))
          (then (return (i32.add (local.get $p) (i32.const 2)))))
        (if (i32.lt_u (i32.add (local.get $p) (i32.const 2)) (local.get $end))
          (then
            (local.set $b (call $lower (i32.load16_u offset=4194306 (i32.shl (local.get $p) (i32.const 1)))))
            (if (i32.or (i32.or
                  (i32.and (i32.eq (local.get $a) (i32.const 0x6c)) (i32.eq (local.get $b) (i32.const 0x6c)))
                  (i32.and (i32.eq (local.get $a) (i32.const 0x76)) (i32.eq (local.get $b) (i32.const 0x65))))
                  (i32.and (i32.eq (local.get $a) (i32.const 0x72)) (i32.eq (local.get $b) (i32.const 0x65))))
              (then (return (i32.add (local.get $p) (i32.const 3)))))))))
    (local.set $k0 (i32.load8_u (local.get $c0)))
    ;; \p{L}+
    (if (i32.eq (local.get $k0) (i32.const 2))
      (then (return (call $run (local.get $p1) (local.get $end) (i32.const 2)))))
    ;; \p{N}{1,3}
    (if (i32.eq (local.get $k0) (i32.const 3))
      (then
        (local.set $r (local.get $p1))
        (block $digits
          (br_if $digits (i32.ge_u (local.get $r) (local.get $end)))
          (local.set $c (i32.load16_u offset=4194304 (i32.shl (local.get $r) (i32.const 1))))
          (if (i32.ge_u (local.get $c) (i32.const 128)) (then (return (i32.const -1))))
          (br_if $digits (i32.ne (i32.load8_u (local.get $c)) (i32.const 3)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br_if $digits (i32.ge_u (local.get $r) (local.get $end)))
          (local.set $c (i32.load16_u offset=4194304 (i32.shl (local.get $r) (i32.const 1))))
          (if (i32.ge_u (local.get $c) (i32.const 128)) (then (return (i32.const -1))))
          (br_if $digits (i32.ne (i32.load8_u (local.get $c)) (i32.const 3)))
          (local.set $r (i32.add (local.get $r) (i32.const 1))))
        (return (local.get $r))))
    ;; [^\r\n\p{L}\p{N}]?\p{L}+
    (local.set $k1 (i32.const 0))
    (if (i32.and (i32.ne (local.get $k0) (i32.const 5)) (i32.lt_u (local.get $p1) (local.get $end)))
      (then
        (local.set $c (i32.load16_u offset=4194304 (i32.shl (local.get $p1) (i32.const 1))))
        (if (i32.ge_u (local.get $c) (i32.const 128)) (then (return (i32.const -1))))
        (local.set $k1 (i32.load8_u (local.get $c)))
        (if (i32.eq (local.get $k1) (i32.const 2))
          (then (return (call $run (i32.add (local.get $p1) (i32.const 1)) (local.get $end) (i32.const 2)))))))
    ;;  ?[^\s\p{L}\p{N}]+[\r\n]*
    (local.set $r (i32.const -1))
    (if (i32.eq (local.get $k0) (i32.const 1))
      (then (local.set $r (local.get $p1)))
      (else
        (if (i32.and (i32.eq (local.get $c0) (i32.const 0x20)) (i32.eq (local.get $k1) (i32.const 1)))
          (then (local.set $r (i32.add (local.get $p1) (i32.const 1)))))))
    (if (i32.ne (local.get $r) (i32.const -1))
      (then
        (local.set $r (call $run (local.get $r) (local.get $end) (i32.const 1)))
        (if (i32.eq (local.get $r) (i32.const -1)) (then (return (i32.const -1))))
        (block $newlinesDone
          (loop $newlines
            (br_if $newlinesDone (i32.ge_u (local.get $r) (local.get $end)))
            (local.set $c (i32.load16_u offset=4194304 (i32.shl (local.get $r) (i32.const 1))))
            (br_if $newlinesDone
              (i32.and (i32.ne (local.get $c) (i32.const 10)) (i32.ne (local.get $c) (i32.const 13))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $newlines)))
        (return (local.get $r))))
    ;; whitespace: \s+$ | \s*[\r\n] | \s+(?!\S) | \s
    (local.set $w (local.get $p1))
    (local.set $nl (select (local.get $p) (i32.const -1) (i32.eq (local.get $k0) (i32.const 5))))
    (block $spacesDone
      (loop $spaces
        (br_if $spacesDone (i32.ge_u (local.get $w) (local.get $end)))
        (local.set $c (i32.load16_u offset=4194304 (i32.shl (local.get $w) (i32.const 1))))
        (if (i32.ge_u (local.get $c) (i32.const 128)) (then (return (i32.const -1))))
        (local.set $k1 (i32.load8_u (local.get $c)))
        (br_if $spacesDone (i32.lt_u (local.get $k1) (i32.const 4)))
        (if (i32.eq (local.get $k1) (i32.const 5)) (then (local.set $nl (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 1)))
        (br $spaces)))
    (if (i32.eq (local.get $w) (local.get $end)) (then (return (local.get $end))))
    (if (i32.ne (local.get $nl) (i32.const -1)) (then (return (i32.add (local.get $nl) (i32.const 1)))))
    (if (i32.ge_u (i32.sub (local.get $w) (local.get $p)) (i32.const 2))
      (then (return (i32.sub (local.get $w) (i32.const 1)))))
    (i32.add (local.get $p) (i32.const 1)))

  ;; Token count of the pre-token [$p, $q).
  (func $count (param $p i32) (param $q i32) (result i32)
    (local $h i32) (local $i i32)
    (if (i32.eq (i32.sub (local.get $q) (local.get $p)) (i32.const 1)) (then (return (i32.const 1))))
    (if (i32.gt_u (i32.sub (local.get $q) (local.get $p)) (i32.const 48))
      (then (return (call $miss (local.get $p) (local.get $q)))))
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $i (local.get $p))
    (loop $hash
      (local.set $h (i32.mul
        (i32.xor (local.get $h) (i32.load16_u offset=4194304 (i32.shl (local.get $i) (i32.const 1))))
        (i32.const 16777619)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $hash (i32.lt_u (local.get $i) (local.get $q))))
    (call $lookup (local.get $p) (local.get $q) (local.get $h)))

  ;; Token count of the ASCII pre-token [$p, $q) (2 to 48 code units) whose FNV-1a hash is $h: from the cache, else
  ;; from `miss` (then cached; when the cache is full it is cleared, as the JavaScript one is).
  (func $lookup (param $p i32) (param $q i32) (param $h i32) (result i32)
    (local $len i32) (local $slot i32) (local $a i32) (local $key i32) (local $v i32) (local $j i32)
    (local.set $len (i32.sub (local.get $q) (local.get $p)))
    (local.set $slot (i32.and (local.get $h) (i32.const 0xffff)))
    (block $absent
      (loop $probe
        (local.set $a (i32.add (i32.const 1024) (i32.shl (local.get $slot) (i32.const 4))))
        (br_if $absent (i32.eqz (i32.load offset=8 (local.get $a))))
        (if (i32.and (i32.eq (i32.load offset=8 (local.get $a)) (local.get $len))
                     (i32.eq (i32.load (local.get $a)) (local.get $h)))
          (then
            (local.set $key (i32.load offset=4 (local.get $a)))
            (local.set $j (i32.const 0))
            (block $differs
              (loop $compare
                (if (i32.ge_u (local.get $j) (local.get $len)) (then (return (i32.load offset=12 (local.get $a)))))
                (br_if $differs (i32.ne
                  (i32.load8_u (i32.add (local.get $key) (local.get $j)))
                  (i32.load16_u offset=4194304 (i32.shl (i32.add (local.get $p) (local.get $j)) (i32.const 1)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $compare)))))
        (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (i32.const 0xffff)))
        (br $probe)))
    (local.set $v (call $miss (local.get $p) (local.get $q)))
    (if (i32.or (i32.ge_u (global.get $entries) (i32.const 32768))
                (i32.gt_u (i32.add (global.get $poolUsed) (local.get $len)) (i32.const 2097152)))
      (then
        (memory.fill (i32.const 1024) (i32.const 0) (i32.const 1048576))
        (global.set $entries (i32.const 0))
        (global.set $poolUsed (i32.const 0))
        (return (local.get $v))))
    (local.set $key (i32.add (i32.const 1049600) (global.get $poolUsed)))
    (i32.store (local.get $a) (local.get $h))
    (i32.store offset=4 (local.get $a) (local.get $key))
    (i32.store offset=8 (local.get $a) (local.get $len))
    (i32.store offset=12 (local.get $a) (local.get $v))
    (local.set $j (i32.const 0))
    (loop $copy
      (i32.store8 (i32.add (local.get $key) (local.get $j))
        (i32.load16_u offset=4194304 (i32.shl (i32.add (local.get $p) (local.get $j)) (i32.const 1))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $copy (i32.lt_u (local.get $j) (local.get $len))))
    (global.set $poolUsed (i32.add (global.get $poolUsed) (local.get $len)))
    (global.set $entries (i32.add (global.get $entries) (i32.const 1)))
    (local.get $v))

  ;; Scans pre-tokens from $p until $end, adding their counts to the total at 128 and, when $log is not 0, recording
  ;; each pre-token's start and the total before it (at most $cap entries; the count at 132 is the next entry).
  ;; Returns where it stopped: $end, or the start of a pre-token left to JavaScript (non-ASCII, or a full log).
  (func $scan (export "scan") (param $p i32) (param $end i32) (param $log i32) (param $cap i32) (result i32)
    (local $q i32) (local $total i32) (local $n i32) (local $c i32) (local $h i32)
    (local.set $total (i32.load (i32.const 128)))
    (local.set $n (i32.load (i32.const 132)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (local.get $log)
          (then
            (br_if $done (i32.ge_u (local.get $n) (local.get $cap)))
            (i32.store (i32.add (local.get $log) (i32.shl (local.get $n) (i32.const 2))) (local.get $p))
            (i32.store (i32.add (local.get $log) (i32.shl (i32.add (local.get $n) (local.get $cap)) (i32.const 2)))
              (local.get $total))))
        (block $general
          (block $word
            ;; [ ]?[A-Za-z]+ followed by an ASCII code unit (or the end): hashed while scanned.
            (local.set $c (i32.load16_u offset=4194304 (i32.shl (local.get $p) (i32.const 1))))
            (local.set $h (i32.mul (i32.xor (i32.const 0x811c9dc5) (local.get $c)) (i32.const 16777619)))
            (local.set $q (i32.add (local.get $p) (i32.const 1)))
            (if (i32.eq (local.get $c) (i32.const 0x20))
              (then
                (br_if $general (i32.ge_u (local.get $q) (local.get $end)))
                (local.set $c (i32.load16_u offset=4194304 (i32.shl (local.get $q) (i32.const 1))))
                (br_if $general
                  (i32.ge_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 26)))
                (local.set $h (i32.mul (i32.xor (local.get $h) (local.get $c)) (i32.const 16777619)))
                (local.set $q (i32.add (local.get $q) (i32.const 1))))
              (else
                (br_if $general
                  (i32.ge_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 26)))))
            (loop $letters
              (br_if $word (i32.ge_u (local.get $q) (local.get $end)))
              (local.set $c (i32.load16_u offset=4194304 (i32.shl (local.get $q) (i32.const 1))))
              (if (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 26))
                (then
                  (local.set $h (i32.mul (i32.xor (local.get $h) (local.get $c)) (i32.const 16777619)))
                  (local.set $q (i32.add (local.get $q) (i32.const 1)))
                  (br $letters))))
            ;; A code unit >= 128 after the letters may be a letter too: JavaScript decides.
            (br_if $done (i32.ge_u (local.get $c) (i32.const 128))))
          (local.set $total (i32.add (local.get $total)
            (if (result i32) (i32.eq (i32.sub (local.get $q) (local.get $p)) (i32.const 1))
              (then (i32.const 1))
              (else
                (if (result i32) (i32.gt_u (i32.sub (local.get $q) (local.get $p)) (i32.const 48))
                  (then (call $miss (local.get $p) (local.get $q)))
                  (else (call $lookup (local.get $p) (local.get $q) (local.get $h))))))))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (local.set $p (local.get $q))
          (br $next))
        (local.set $q (call $piece (local.get $p) (local.get $end)))
        (br_if $done (i32.eq (local.get $q) (i32.const -1)))
        (local.set $total (i32.add (local.get $total) (call $count (local.get $p) (local.get $q))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $p (local.get $q))
        (br $next)))
    (i32.store (i32.const 128) (local.get $total))
    (i32.store (i32.const 132) (local.get $n))
    (local.get $p))
;; Token count of [$p, $end) alone, or -1 when a pre-token in it depends on a non-ASCII code unit.
  (func $countAll (param $p i32) (param $end i32) (result i32)
    (i32.store (i32.const 128) (i32.const 0))
    (i32.store (i32.const 132) (i32.const 0))
    (if (i32.lt_u (call $scan (local.get $p) (local.get $end) (i32.const 0) (i32.const 0)) (local.get $end))
      (then (return (i32.const -1))))
    (i32.load (i32.const 128)))

  ;; Index of the last pre-token of the log (entries 0..$n) starting at or before $pos.
  (func $entryAtOrBefore (param $log i32) (param $n i32) (param $pos i32) (result i32)
    (local $lo i32) (local $hi i32) (local $mid i32)
    (local.set $hi (local.get $n))
    (block $found
      (loop $halve
        (br_if $found (i32.ge_u (local.get $lo) (local.get $hi)))
        (local.set $mid (i32.shr_u (i32.add (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)) (i32.const 1)))
        (if (i32.le_u (i32.load (i32.add (local.get $log) (i32.shl (local.get $mid) (i32.const 2)))) (local.get $pos))
          (then (local.set $lo (local.get $mid)))
          (else (local.set $hi (i32.sub (local.get $mid) (i32.const 1)))))
        (br $halve)))
    (local.get $lo))

  ;; Token count of [$start, $end) ($start < $end) of the text whose pre-token log (entries 0..$n, the last one
  ;; for the end of the text; running totals $cap entries further) `scan` wrote: pre-tokens wholly inside the range
  ;; come from the log's running totals, the ones cut by its ends are scanned. -1 when JavaScript must count it.
  ;; Follows `Cl100kRangeCounter.count` (token-counter.ts).
  (func (export "range") (param $start i32) (param $end i32) (param $log i32) (param $cap i32) (param $n i32)
    (result i32)
    (local $last i32) (local $c i32) (local $tail i32) (local $tailStart i32) (local $idx i32) (local $p i32)
    (local $q i32) (local $total i32) (local $rest i32)
    ;; The pre-tokens before the one holding the last non-space code unit are the same in isolation.
    (local.set $last (local.get $end))
    (block $trimmed
      (loop $trim
        (br_if $trimmed (i32.le_u (local.get $last) (local.get $start)))
        (local.set $c (i32.load16_u offset=4194302 (i32.shl (local.get $last) (i32.const 1))))
        (if (i32.ge_u (local.get $c) (i32.const 128)) (then (return (i32.const -1))))
        (br_if $trimmed (i32.lt_u (i32.load8_u (local.get $c)) (i32.const 4)))
        (local.set $last (i32.sub (local.get $last) (i32.const 1)))
        (br $trim)))
    (if (i32.eq (local.get $last) (local.get $start))
      (then (return (call $countAll (local.get $start) (local.get $end)))))
    (local.set $tail (call $entryAtOrBefore (local.get $log) (local.get $n) (i32.sub (local.get $last) (i32.const 1))))
    (local.set $tailStart (i32.load (i32.add (local.get $log) (i32.shl (local.get $tail) (i32.const 2)))))
    (if (i32.le_u (local.get $tailStart) (local.get $start))
      (then (return (call $countAll (local.get $start) (local.get $end)))))
    ;; Head: scan until the scan re-joins the text's pre-token boundaries.
    (local.set $p (local.get $start))
    (block $joined
      (loop $head
        (br_if $joined (i32.ge_u (local.get $p) (local.get $tailStart)))
        (local.set $idx (call $entryAtOrBefore (local.get $log) (local.get $n) (local.get $p)))
        (if (i32.eq (i32.load (i32.add (local.get $log) (i32.shl (local.get $idx) (i32.const 2)))) (local.get $p))
          (then
            (local.set $total (i32.add (local.get $total) (i32.sub
              (i32.load (i32.add (local.get $log) (i32.shl (i32.add (local.get $tail) (local.get $cap)) (i32.const 2))))
              (i32.load (i32.add (local.get $log) (i32.shl (i32.add (local.get $idx) (local.get $cap)) (i32.const 2)))))))
            (local.set $p (local.get $tailStart))
            (br $joined)))
        (local.set $q (call $piece (local.get $p) (local.get $end)))
        (if (i32.eq (local.get $q) (i32.const -1)) (then (return (i32.const -1))))
        (local.set $total (i32.add (local.get $total) (call $count (local.get $p) (local.get $q))))
        (local.set $p (local.get $q))
        (br $head)))
    (local.set $rest (call $countAll (local.get $p) (local.get $end)))
    (if (i32.eq (local.get $rest) (i32.const -1)) (then (return (i32.const -1))))
    (i32.add (local.get $total) (local.get $rest)))
)
