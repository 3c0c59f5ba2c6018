;; init for the `hello` test: starts the boot image's programs "hello" (prints a line, ends
;; with 0) and "builtins" (memory.grow and memory.fill through host-call gates, ends with 10),
;; waits for each and fails (exit 1, 2) unless both ended as expected.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (import "apus" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "apus" "wait" (func $wait (param i32) (result i32)))
  (import "apus" "exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (data (i32.const 8) "builtins")
  (data (i32.const 16) "init: hello ended with status 0")
  (func (export "_start")
    (if (call $wait (call $spawn (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (then (call $exit (i32.const 1))))
    (if (i32.ne (call $wait (call $spawn (i32.const 8) (i32.const 8) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))) (i32.const 10))
      (then (call $exit (i32.const 2))))
    (call $print (i32.const 16) (i32.const 31))))
