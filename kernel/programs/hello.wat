;; Prints through the kernel's host function apus.print (a host call from ring 3) and returns 0.
(module
  (import "apus" "print" (func $print (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "hello from WebAssembly in ring 3\n")
  (func (export "main") (result i32)
    (call $print (i32.const 32) (i32.const 33))
    (i32.const 0)))
