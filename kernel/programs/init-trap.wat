;; init for the `program-trap` test: starts "trap" (ends with an out-of-bounds trap: status
;; 134, the status of a trapped program) and then "hello", which must still run and end with 0.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "wait" (func $wait (param i32) (result i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "trap")
  (data (i32.const 8) "hello")
  (data (i32.const 16) "init: trap ended with status 134, hello with 0")
  (func (export "_start")
    (if (i32.ne (call $wait (call $spawn (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))) (i32.const 134))
      (then (call $exit (i32.const 1))))
    (if (call $wait (call $spawn (i32.const 8) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (then (call $exit (i32.const 2))))
    (call $print (i32.const 16) (i32.const 46))))
