;; init for the `programs-churn` test: runs "tiny" 10,000 times (kernel/tests/run rewrites the
;; count for CHURN_PROGRAMS=N), two at a time, after a warm-up
;; of 8, and has the kernel report its memory and address-space counters before and after.
;; An unchanged high-water mark shows the address space is reused (each start reserves 8 GiB;
;; without reuse about 15,000 starts fill it).
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "wait" (func $wait (param i32) (result i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (import "apus" "memory_report" (func $memory_report))
  (memory (export "memory") 1)
  (data (i32.const 0) "tiny")
  (data (i32.const 16) "churn: 10000 programs spawned and exited")
  (func $pairs (param $count i32)
    (local $first i32) (local $second i32)
    (loop $again
      (local.set $first (call $spawn (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (local.set $second (call $spawn (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (if (i32.or (i32.lt_s (local.get $first) (i32.const 0)) (i32.lt_s (local.get $second) (i32.const 0)))
        (then (call $exit (i32.const 1))))
      (if (i32.or (call $wait (local.get $first)) (call $wait (local.get $second)))
        (then (call $exit (i32.const 2))))
      (local.set $count (i32.sub (local.get $count) (i32.const 1)))
      (br_if $again (local.get $count))))
  (func (export "_start")
    (call $pairs (i32.const 4))
    (call $memory_report)
    (call $pairs (i32.const 5000))
    (call $memory_report)
    (call $print (i32.const 16) (i32.const 40))))
