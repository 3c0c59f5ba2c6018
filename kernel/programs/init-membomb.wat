;; init for the `program-membomb` test: "membomb" must end normally (its memory.grow refused
;; at the limit), then "hello" must still run.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "wait" (func $wait (param i32) (result i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "membomb")
  (data (i32.const 8) "hello")
  (data (i32.const 16) "init: membomb and hello ended with status 0")
  (func (export "_start")
    (if (call $wait (call $spawn (i32.const 0) (i32.const 7) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (then (call $exit (i32.const 1))))
    (if (call $wait (call $spawn (i32.const 8) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (then (call $exit (i32.const 2))))
    (call $print (i32.const 16) (i32.const 43))))
