;; init for the `programs-smp` test (4 CPUs): starts four "worker" programs at once and waits
;; for all of them (the kernel's exit lines show the CPUs each ran on).
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "wait" (func $wait (param i32) (result i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "worker")
  (data (i32.const 16) "init: 4 workers ended with status 0")
  (func (export "_start")
    (local $index i32)
    (loop $start
      (i32.store (i32.add (i32.const 64) (i32.shl (local.get $index) (i32.const 2)))
                 (call $spawn (i32.const 0) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (local.set $index (i32.add (local.get $index) (i32.const 1)))
      (br_if $start (i32.lt_u (local.get $index) (i32.const 4))))
    (local.set $index (i32.const 0))
    (loop $join
      (if (call $wait (i32.load (i32.add (i32.const 64) (i32.shl (local.get $index) (i32.const 2)))))
        (then (call $exit (i32.const 1))))
      (local.set $index (i32.add (local.get $index) (i32.const 1)))
      (br_if $join (i32.lt_u (local.get $index) (i32.const 4))))
    (call $print (i32.const 16) (i32.const 35))))
