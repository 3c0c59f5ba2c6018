;; kv-bad — a client of kv that passes bad buffers (`services` test): each call must come back
;; with an error status without reaching kv; kv keeps working. Exit status 0, or the number of
;; the check that failed.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "yield" (func $yield (result i32)))
  (import "kv@1" "sum" (func $sum (param i32 i32) (result i32 i32)))
  (import "kv@1" "add" (func $add (param i32 i32) (result i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "kv-bad: bad buffers refused, kv still works")
  ;; The status of sum(pointer, length), retried while kv is busy.
  (func $sumStatus (param $p i32) (param $n i32) (result i32) (local $status i32)
    (loop $retry
      (call $sum (local.get $p) (local.get $n))
      (drop)
      (local.set $status)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (drop (call $yield)) (br $retry))))
    (local.get $status))
  (func (export "_start") (result i32) (local $status i32) (local $value i32)
    ;; 2 = bufferOutOfBounds: past the end of this memory, and wrapping around 4 GiB
    (if (i32.ne (call $sumStatus (i32.const 65530) (i32.const 100)) (i32.const 2)) (then (return (i32.const 1))))
    (if (i32.ne (call $sumStatus (i32.const 0xFFFFFFF0) (i32.const 0x20)) (i32.const 2)) (then (return (i32.const 2))))
    ;; 3 = bufferTooLarge: more than kv's 4 KiB buffer area
    (if (i32.ne (call $sumStatus (i32.const 0) (i32.const 5000)) (i32.const 3)) (then (return (i32.const 3))))
    (loop $retry
      (call $add (i32.const 20) (i32.const 22))
      (local.set $value) (local.set $status)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (drop (call $yield)) (br $retry))))
    (if (local.get $status) (then (return (i32.const 4))))
    (if (i32.ne (local.get $value) (i32.const 42)) (then (return (i32.const 5))))
    (call $print (i32.const 0) (i32.const 43))
    (i32.const 0)))
