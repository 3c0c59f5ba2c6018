;; init for the `program-preempt` test (one CPU): starts "spin" (an endless loop), then
;; "count" (a long loop); count can only finish if the timer preempts spin. init ends with
;; spin still running.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "wait" (func $wait (param i32) (result i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "spin")
  (data (i32.const 8) "count")
  (data (i32.const 16) "init: count finished while spin runs")
  (func (export "_start")
    (if (i32.lt_s (call $spawn (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 0))
      (then (call $exit (i32.const 1))))
    (if (call $wait (call $spawn (i32.const 8) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (then (call $exit (i32.const 2))))
    (call $print (i32.const 16) (i32.const 36))))
