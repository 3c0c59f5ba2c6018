;; A small WebAssembly program for the boot image: a memory with a data segment, a loop that
;; stores into it, and an exported entry that returns 42.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "Apus")
  (func $fill (param $count i32)
    (local $i i32)
    (loop $again
      (i32.store (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $count)))))
  (func (export "main") (result i32)
    (call $fill (i32.const 100))
    (i32.const 42)))
